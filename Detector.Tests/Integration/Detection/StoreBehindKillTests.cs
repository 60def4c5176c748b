using System.Globalization;
using System.Text.Json;
using Detector.Tests.Integration.Chaos;
using Detector.Tests.Integration.ImageStorage;
using Detector.Tests.Integration.Jobs;
using Npgsql;
using Xunit.Abstractions;

namespace Detector.Tests.Integration.Detection;

/// <summary>
/// The real service (a child process) on a real S3 (s3rver) reached through a proxy that can
/// stall: photos answered while their puts are held, then kill -9. Nothing accepted is lost
/// silently: after the restart each answered result says its image is stored (and it is), or
/// says it is not (and nothing of it is in the store).
/// </summary>
[Collection("Jobs")]
public sealed class StoreBehindKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly CrashHarness _harness = new(output);
    private S3Server? _s3;
    private TcpProxy? _proxy;

    public async Task InitializeAsync()
    {
        await _harness.CreateDatabaseAsync();
        _s3 = await S3Server.StartAsync();
        _proxy = TcpProxy.Start("127.0.0.1", _s3.Endpoint.Port);
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        if (_s3 is not null)
        {
            await _s3.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_service_killed_right_after_answering_loses_no_photo_silently()
    {
        try
        {
            var settings = _s3!.Settings("__").ToDictionary(p => p.Key, p => p.Value!);
            settings["ImageStore__S3__ServiceUrl"] = $"http://127.0.0.1:{_proxy!.Port}";
            settings["Detection__StoreBehindTimeoutSeconds"] = "2";
            settings["Detection__PendingImageExpirySeconds"] = "3";
            settings["Detection__PendingImageSweepSeconds"] = "1";
            var port = ServiceProcess.FreePort();
            var first = await _harness.StartAsync("behind", port, settings);
            using var client = await CrashHarness.TenantClientAsync(first.BaseUri);
            var photos = JobsTestKit.Coco(4).Select(p => p.Bytes).ToArray();

            var kept = await JobsTestKit.DetectAsync(client, photos[0]);
            Assert.Equal(("stored", (string?)null), StoredImages.Of(kept));

            // Answered while the store holds every put: pending, then the instance is killed.
            _proxy.Stall();
            var answered = new List<JsonElement>();
            foreach (var photo in photos[1..])
            {
                var answer = await StoredImages.DetectAsync(client, photo);
                Assert.Equal("pending", StoredImages.Of(answer).Storage);
                answered.Add(answer);
            }

            first.KillHard();
            _proxy.Resume();
            await _harness.StartAsync("behind", port, settings);

            foreach (var answer in answered)
            {
                Assert.Equal(("not_stored", "interrupted"), await StoredImages.SettledAsync(client, answer.GetProperty("id").GetGuid()));
            }

            // Nothing of the interrupted photos stays in the store's index (their puts may have
            // touched it before the kill); the photo stored before the kill is still there, whole.
            var lost = answered.Select(Sha).ToArray();
            var deadline = DateTime.UtcNow + StoredImages.Bound;
            while (await CountIndexedAsync(lost) > 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the interrupted photos' index rows were never removed");
                await Task.Delay(100);
            }

            Assert.Equal(1L, await CountIndexedAsync([Sha(kept)]));
            Assert.Equal(("stored", (string?)null), await StoredImages.SettledAsync(client, kept.GetProperty("id").GetGuid()));
            output.WriteLine($"{answered.Count} answered while their puts were held: all marked not_stored (interrupted) after the restart");
        }
        catch
        {
            _harness.DumpLogs();
            throw;
        }
    }

    private static string Sha(JsonElement answer) => answer.GetProperty("image").GetProperty("sha256").GetString()!;

    private async Task<long> CountIndexedAsync(string[] sha256s)
    {
        await using var connection = new NpgsqlConnection(_harness.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM images.stored WHERE sha256 = ANY(@s::char(64)[])", connection);
        command.Parameters.AddWithValue("s", sha256s);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
