using Detector.Tests.Integration.ImageStorage;
using Xunit.Abstractions;
using static Detector.Tests.Integration.Jobs.JobsTestKit;

namespace Detector.Tests.Integration.Jobs;

/// <summary>
/// Two service processes as two hosts would run them: one PostgreSQL, a data folder each, so an
/// image stored by one is readable by the other only through the configured image store
/// (PostgreSQL, or an S3-compatible server on loopback).
/// </summary>
[Collection("Jobs")]
public sealed class TwoHostsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan TestBudget = TimeSpan.FromMinutes(5);
    private readonly CrashHarness _harness = new(output);

    public Task InitializeAsync() => _harness.CreateDatabaseAsync();

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Theory]
    [InlineData("Postgres")]
    [InlineData("S3")]
    public async Task A_job_accepted_by_a_host_without_workers_is_run_by_another_host_and_finished_after_the_first_is_killed(string backend)
    {
        await using var s3 = backend == "S3" ? await S3Server.StartAsync() : null;
        try
        {
            var store = s3?.Settings("__").ToDictionary(kv => kv.Key, kv => kv.Value!) ?? new Dictionary<string, string> { ["ImageStore__Backend"] = backend };
            var a = await _harness.StartAsync("host-a", extra: new Dictionary<string, string>(store) { ["Jobs__Hangfire__RunServer"] = "false" });
            var b = await _harness.StartAsync("host-b", extra: store);
            using var onA = await CrashHarness.TenantClientAsync(a.BaseUri);
            using var onB = new HttpClient { BaseAddress = b.BaseUri, Timeout = onA.Timeout };
            onB.DefaultRequestHeaders.Add("X-Api-Key", onA.DefaultRequestHeaders.GetValues("X-Api-Key"));

            var (jobId, statusUrl) = await CrashHarness.SubmitJobAsync(onA);
            // Some items finished (by host-b: host-a runs no workers), then host-a dies. Finished, not
            // succeeded: an image host-b cannot read fails its item at once, and so the test.
            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            while (await _harness.CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND state IN ('succeeded', 'failed')", jobId) < 20)
            {
                Assert.True(stopwatch.Elapsed < TestBudget, "host-b finished 20 items");
                await Task.Delay(50);
            }

            a.KillHard();
            output.WriteLine($"host-a killed with {await _harness.CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND state = 'succeeded'", jobId)} items succeeded");

            var final = await WaitForTerminalAsync(onB, statusUrl, TestBudget);
            Assert.Equal("succeeded", final.GetProperty("status").GetString());
            await _harness.AssertExactlyOnceAsync(jobId);
            var byInstance = await _harness.ProcessedByAsync(jobId);
            Assert.Equal(CrashHarness.Images, byInstance.GetValueOrDefault("host-b"));
            // The images went through the backend under test: with S3, none is in the database.
            var inDatabase = await _harness.CountAsync("SELECT count(*) FROM images.blobs WHERE @jobId IS NOT NULL", jobId);
            Assert.True(backend == "S3" ? inDatabase == 0 : inDatabase > 0, $"{inDatabase} image(s) in images.blobs with the {backend} backend");
        }
        catch
        {
            _harness.DumpLogs();
            throw;
        }
    }
}
