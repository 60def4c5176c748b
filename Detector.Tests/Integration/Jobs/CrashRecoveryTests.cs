using System.Diagnostics;
using Npgsql;
using Xunit.Abstractions;

namespace Detector.Tests.Integration.Jobs;

/// <summary>
/// Harder crashes than one kill: the service killed twice during one job, and killed while its
/// recovery sweep is half-way through. Every item must still succeed exactly once.
/// </summary>
[Collection("Jobs")]
public sealed class CrashRecoveryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan TestBudget = TimeSpan.FromMinutes(5);
    private readonly CrashHarness _harness = new(output);

    public Task InitializeAsync() => _harness.CreateDatabaseAsync();

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task A_service_killed_twice_during_one_job_finishes_every_item_exactly_once()
    {
        try
        {
            var port = ServiceProcess.FreePort();
            var first = await _harness.StartAsync("twice-1", port);
            using var client = await CrashHarness.TenantClientAsync(first.BaseUri);
            var (jobId, statusUrl) = await CrashHarness.SubmitJobAsync(client);

            await _harness.WaitUntilSucceededAsync(jobId, 40, TestBudget);
            var rate = await _harness.RateSoFarAsync(jobId);
            first.KillHard();

            var second = await _harness.StartAsync("twice-2", port);
            await _harness.WaitUntilSucceededAsync(jobId, 110, TestBudget);
            second.KillHard();
            output.WriteLine($"second kill with {await _harness.CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND state = 'succeeded'", jobId)} items done");

            await _harness.StartAsync("twice-3", port);
            await _harness.AssertFinishesWithinBoundAsync(client, statusUrl, jobId, Stopwatch.StartNew(), rate);
            await _harness.AssertExactlyOnceAsync(jobId);

            var byInstance = await _harness.ProcessedByAsync(jobId);
            Assert.True(byInstance.GetValueOrDefault("twice-2") > 0, "the second instance did work before it was killed");
            Assert.True(byInstance.GetValueOrDefault("twice-3") > 0, "the third instance finished the job");
        }
        catch
        {
            _harness.DumpLogs();
            throw;
        }
    }

    [Fact]
    public async Task A_service_killed_while_its_recovery_sweep_runs_loses_nothing()
    {
        try
        {
            var port = ServiceProcess.FreePort();
            var first = await _harness.StartAsync("sweep-1", port);
            using var client = await CrashHarness.TenantClientAsync(first.BaseUri);
            var (jobId, statusUrl) = await CrashHarness.SubmitJobAsync(client);
            await _harness.WaitUntilSucceededAsync(jobId, 50, TestBudget);
            var rate = await _harness.RateSoFarAsync(jobId);
            await _harness.KillHoldingLeasesAsync(first, "sweep-1", port, jobId);

            // Freeze Hangfire's queue: the next instance's sweep then commits the expired leases
            // back to queued and blocks in the middle of dispatching them. Kill it right there.
            await using (var freeze = new NpgsqlConnection(_harness.ConnectionString))
            {
                await freeze.OpenAsync();
                await using var tx = await freeze.BeginTransactionAsync();
                await using (var lockQueue = new NpgsqlCommand("LOCK TABLE hangfire.jobqueue IN EXCLUSIVE MODE", freeze, tx))
                {
                    await lockQueue.ExecuteNonQueryAsync();
                }

                var second = await _harness.StartAsync("sweep-2", port);
                await second.WaitForLogAsync("with an expired lease back in the queue", TimeSpan.FromSeconds(60));
                var requeuedWithoutTicket = await _harness.CountAsync(
                    "SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND state = 'queued' AND hangfire_job_id IS NULL", jobId);
                second.KillHard();
                output.WriteLine($"killed mid-sweep: {requeuedWithoutTicket} item(s) requeued, not yet dispatched");
                Assert.True(requeuedWithoutTicket > 0, "the sweep was killed between its requeue and its dispatch");
                await tx.RollbackAsync();
            }

            await _harness.StartAsync("sweep-3", port);
            await _harness.AssertFinishesWithinBoundAsync(client, statusUrl, jobId, Stopwatch.StartNew(), rate);
            await _harness.AssertExactlyOnceAsync(jobId);
            Assert.True((await _harness.ProcessedByAsync(jobId)).GetValueOrDefault("sweep-3") > 0, "the third instance finished the job");
        }
        catch
        {
            _harness.DumpLogs();
            throw;
        }
    }
}
