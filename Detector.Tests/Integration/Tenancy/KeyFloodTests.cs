using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Npgsql;
using Xunit.Abstractions;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>A flood of made-up keys must not reach the connection pool, and real tenants must not notice it.</summary>
public sealed class KeyFloodTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Ten_thousand_random_keys_in_ten_seconds_never_exhaust_the_pool_and_a_valid_tenant_keeps_succeeding()
    {
        var application = "flood-" + Guid.NewGuid().ToString("N")[..8];
        var connection = new NpgsqlConnectionStringBuilder(DetectorApiFactory.ConnectionString) { ApplicationName = application }.ConnectionString;
        await using var host = new TenancyHost(new() { ["Database:ConnectionString"] = connection });
        host.Start();
        var (_, _, key) = await host.CreateTenantAsync("flood-victim");
        using var valid = host.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await valid.GetAsync("/v1/results")).StatusCode);

        var stopwatch = Stopwatch.StartNew();
        var window = TimeSpan.FromSeconds(10);
        var sent = 0;
        var floodAnswers = new ConcurrentDictionary<HttpStatusCode, int>();
        var validAnswers = new ConcurrentDictionary<HttpStatusCode, int>();
        var maxConnections = 0L;

        var flood = Enumerable.Range(0, 32).Select(async _ =>
        {
            using var client = host.Client();
            while (stopwatch.Elapsed < window && Interlocked.Increment(ref sent) <= 10_000)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/results");
                request.Headers.Add("X-Api-Key", "dk_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"));
                using var response = await client.SendAsync(request);
                floodAnswers.AddOrUpdate(response.StatusCode, 1, (_, n) => n + 1);
            }
        }).ToList();
        var victim = Task.Run(async () =>
        {
            while (stopwatch.Elapsed < window)
            {
                using var response = await valid.GetAsync("/v1/results?limit=1");
                validAnswers.AddOrUpdate(response.StatusCode, 1, (_, n) => n + 1);
                await Task.Delay(100);
            }
        });
        var sampler = Task.Run(async () =>
        {
            await using var probe = new NpgsqlConnection(DetectorApiFactory.ConnectionString);
            await probe.OpenAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = @app AND state <> 'idle'", probe);
            count.Parameters.AddWithValue("app", application);
            while (stopwatch.Elapsed < window)
            {
                var busy = (long)(await count.ExecuteScalarAsync())!;
                InterlockedMax(ref maxConnections, busy);
                await Task.Delay(20);
            }
        });
        await Task.WhenAll(flood.Append(victim).Append(sampler));

        var total = floodAnswers.Values.Sum();
        using (var metrics = host.Client())
        {
            var text = await metrics.GetStringAsync("/metrics");
            output.WriteLine(string.Join("\n", text.Split('\n').Where(l => l.StartsWith("detector_auth_failures_total", StringComparison.Ordinal) || l.StartsWith("detector_key_lookups_total", StringComparison.Ordinal))));
        }

        output.WriteLine($"{total} random-key requests in {stopwatch.Elapsed.TotalSeconds:F1} s: {string.Join(", ", floodAnswers.Select(a => $"{(int)a.Key} x{a.Value}"))}; " +
            $"valid tenant: {string.Join(", ", validAnswers.Select(a => $"{(int)a.Key} x{a.Value}"))}; busy connections of the instance at most {maxConnections}");
        Assert.True(total >= 5_000, $"the flood reached {total} requests");
        Assert.All(floodAnswers.Keys, status => Assert.Contains(status, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
        Assert.True(floodAnswers.GetValueOrDefault(HttpStatusCode.TooManyRequests) >= 0.9 * total, "after a few lookups the address is refused without any");
        Assert.Equal([HttpStatusCode.OK], validAnswers.Keys);
        Assert.True(validAnswers[HttpStatusCode.OK] >= 50, "the valid tenant kept being served");
        Assert.InRange(maxConnections, 0, 10);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
