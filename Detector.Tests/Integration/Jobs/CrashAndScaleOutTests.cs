using System.Diagnostics;
using Xunit.Abstractions;
using static Detector.Tests.Integration.Jobs.JobsTestKit;

namespace Detector.Tests.Integration.Jobs;

/// <summary>
/// The service as real child processes on a fresh database: killed with SIGKILL in the middle of a
/// 200-image job and restarted, and two instances sharing one database.
/// </summary>
[Collection("Jobs")]
public sealed class CrashAndScaleOutTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan TestBudget = TimeSpan.FromMinutes(5);
    private readonly CrashHarness _harness = new(output);

    public Task InitializeAsync() => _harness.CreateDatabaseAsync();

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task A_service_killed_mid_job_and_restarted_finishes_every_item_exactly_once()
    {
        try
        {
            var port = ServiceProcess.FreePort();
            var first = await _harness.StartAsync("crash-1", port);
            using var client = await CrashHarness.TenantClientAsync(first.BaseUri);
            var (jobId, statusUrl) = await CrashHarness.SubmitJobAsync(client);

            // Some but not all items done, then SIGKILL.
            await _harness.WaitUntilSucceededAsync(jobId, 50, TestBudget);
            var rate = await _harness.RateSoFarAsync(jobId);
            first.KillHard();
            var doneAtKill = await _harness.CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND state = 'succeeded'", jobId);
            output.WriteLine($"killed with {doneAtKill} of {CrashHarness.Images} items done ({rate:F1} items/s before the kill)");
            Assert.InRange(doneAtKill, 1, CrashHarness.Images - 1);

            await _harness.StartAsync("crash-2", port);
            var ready = Stopwatch.StartNew();
            await _harness.AssertFinishesWithinBoundAsync(client, statusUrl, jobId, ready, rate);
            await _harness.AssertExactlyOnceAsync(jobId);

            var byInstance = await _harness.ProcessedByAsync(jobId);
            Assert.True(byInstance.GetValueOrDefault("crash-2") > 0, "the restarted instance finished the job");
        }
        catch
        {
            _harness.DumpLogs();
            throw;
        }
    }

    [Fact]
    public async Task Two_instances_sharing_one_database_process_one_job_each_item_exactly_once()
    {
        try
        {
            var a = await _harness.StartAsync("instance-a");
            await _harness.StartAsync("instance-b");

            using var client = await CrashHarness.TenantClientAsync(a.BaseUri);
            var (jobId, statusUrl) = await CrashHarness.SubmitJobAsync(client);
            var final = await WaitForTerminalAsync(client, statusUrl, TestBudget);
            Assert.Equal("succeeded", final.GetProperty("status").GetString());
            await _harness.AssertExactlyOnceAsync(jobId);

            var byInstance = await _harness.ProcessedByAsync(jobId);
            Assert.True(byInstance.GetValueOrDefault("instance-a") > 0, "instance a did work");
            Assert.True(byInstance.GetValueOrDefault("instance-b") > 0, "instance b did work");
            Assert.Equal(CrashHarness.Images, byInstance.Values.Sum());
        }
        catch
        {
            _harness.DumpLogs();
            throw;
        }
    }
}
