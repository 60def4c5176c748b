using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Detector.Modules.Common;
using Detector.Tests.Integration.Jobs;
using Xunit.Abstractions;

namespace Detector.Tests.Integration.Chaos;

/// <summary>
/// PostgreSQL gone for 20 s under load, as the service sees a stopped server (every connection
/// reset, new ones refused; <see cref="TcpProxy"/>): readiness goes false and comes back by
/// itself, every answer meanwhile is a quick 503 with Retry-After (the breaker's
/// <c>database_unavailable</c> once it opens), and a job accepted before the outage finishes with
/// every item.
/// </summary>
[Collection("Jobs")]
public sealed class DatabaseOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int JobItems = 48;

    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(20);

    private ProxiedDatabaseHost? _host;

    public async Task InitializeAsync() => _host = await ProxiedDatabaseHost.StartAsync();

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task PostgreSQL_gone_for_20_s_under_load_answers_quick_503s_readiness_follows_and_no_accepted_job_item_is_lost()
    {
        var factory = _host!.Factory;
        var proxy = _host.Proxy;
        using var tenant = await factory.NewTenantAsync("outage");
        using var probe = factory.CreateClient();
        // Distinct photos, as a real load sends: repeats would be answered by the result cache, a
        // load of another shape (quicker answers, the tenant's rate limit instead of the model).
        var photos = Integration.DistinctPhotos.Make([.. JobsTestKit.Coco(8).Select(c => c.Bytes)], 800);

        var answers = new ConcurrentBag<(HttpStatusCode Status, double Ms, bool RetryAfter, string? Code, bool DuringOutage)>();
        var outage = 0;
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 3).Select(c => Task.Run(async () =>
        {
            for (var i = c; !stop.IsCancellationRequested; i++)
            {
                var during = Volatile.Read(ref outage) == 1;
                var started = Stopwatch.GetTimestamp();
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = Jpeg(photos[i % photos.Count]) };
                // Expect: 100-continue, as careful clients send: a request refused before its body
                // is read (rate limit, breaker) gets its answer instead of a connection closed
                // under a body still being written.
                request.Headers.ExpectContinue = true;
                using var response = await tenant.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                string? code = null;
                if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
                {
                    code = JsonDocument.Parse(body).RootElement.GetProperty("code").GetString();
                }

                answers.Add((response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds, response.Headers.RetryAfter is not null, code, during));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    await Task.Delay(50); // a client that retries almost at once
                }
            }
        })).ToList();

        await Task.Delay(TimeSpan.FromSeconds(2));

        // A job accepted just before the database goes: its items are in flight when it does. Its
        // tenant is not the load's, whose rate limit the load may have used up: a 429 answered
        // before a large upload is read closes the connection under the body still being sent.
        using var jobTenant = await factory.NewTenantAsync("outage-job");
        var job = await JobsTestKit.SubmitAsync(jobTenant, JobsTestKit.Images(JobsTestKit.Coco(JobItems)));
        var jobId = job.GetProperty("id").GetGuid();
        Volatile.Write(ref outage, 1);
        var cutAt = Stopwatch.GetTimestamp();
        proxy.Cut();
        var doneAtCut = await factory.CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND state = 'succeeded'", jobId);
        await WaitForReadinessAsync(probe, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10));
        await Task.Delay(Outage - Stopwatch.GetElapsedTime(cutAt));
        proxy.Restore();
        Volatile.Write(ref outage, 0);
        var restoredAt = Stopwatch.GetTimestamp();
        await WaitForReadinessAsync(probe, HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        var readyAfter = Stopwatch.GetElapsedTime(restoredAt);
        await Task.Delay(TimeSpan.FromSeconds(3));
        await stop.CancelAsync();
        await Task.WhenAll(load);

        var all = answers.ToList();
        foreach (var group in all.GroupBy(a => (a.DuringOutage, a.Status, a.Code)).OrderBy(g => g.Key.DuringOutage))
        {
            output.WriteLine($"{(group.Key.DuringOutage ? "outage" : "normal")}: {(int)group.Key.Status} {group.Key.Code}: {group.Count()}, max {group.Max(a => a.Ms):F0} ms");
        }

        output.WriteLine($"job items done when the database went: {doneAtCut} of {JobItems}; ready {readyAfter.TotalSeconds:F1} s after it came back");
        Assert.True(doneAtCut < JobItems, "the job finished before the outage, so the outage tested nothing of it");
        var failures = all.Where(a => a.Status != HttpStatusCode.OK).ToList();
        Assert.All(failures, a => Assert.True(a.Status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests && a.RetryAfter, $"{(int)a.Status} {a.Code} (retry-after {a.RetryAfter})"));
        Assert.Contains(all, a => a.DuringOutage && a.Code == ErrorCodes.DatabaseUnavailable);
        var slowest = all.Max(a => a.Ms);
        Assert.True(slowest < 2_000, $"a request took {slowest:F0} ms: no request may hang on the missing database");
        Assert.True(readyAfter < TimeSpan.FromSeconds(30), $"ready again only {readyAfter.TotalSeconds:F1} s after the database came back");

        // After the outage the service serves by itself, and the job accepted before it lost nothing.
        await WaitUntilServedAsync(tenant, photos[0]);
        Assert.Equal("succeeded", await factory.WaitForJobAsync(jobId, TimeSpan.FromMinutes(2)));
        Assert.Equal(JobItems, await factory.CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND state = 'succeeded'", jobId));
    }

    private static ByteArrayContent Jpeg(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("image/jpeg");
        return content;
    }

    /// <summary>A detection succeeds again (after the rate limit's Retry-After, which the load used up).</summary>
    private static async Task WaitUntilServedAsync(HttpClient client, byte[] photo)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var response = await client.PostAsync("/v1/detect", Jpeg(photo));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            Assert.True(attempt < 20 && response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable, $"after the outage: {(int)response.StatusCode}");
            await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
        }
    }

    private static async Task WaitForReadinessAsync(HttpClient client, HttpStatusCode wanted, TimeSpan within)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(within.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            using var response = await client.GetAsync("/health/ready");
            if (response.StatusCode == wanted)
            {
                return;
            }

            Assert.True(Stopwatch.GetTimestamp() < deadline, $"/health/ready did not answer {(int)wanted} within {within.TotalSeconds} s");
            await Task.Delay(100);
        }
    }
}
