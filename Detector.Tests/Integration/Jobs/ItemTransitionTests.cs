using Detector.Modules.Jobs.Processing;
using Detector.Modules.Jobs.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Integration.Jobs;

/// <summary>The service without Hangfire workers or sweeps: item transitions driven by hand against real PostgreSQL.</summary>
public sealed class QuietJobsFactory : JobsApiFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        new("Jobs:Hangfire:RunServer", "false"),
        new("Jobs:SweepIntervalSeconds", "3600"),
    ];
}

[Collection("Jobs")]
public sealed class ItemTransitionTests(QuietJobsFactory factory) : IClassFixture<QuietJobsFactory>
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);

    private ItemTransitions Transitions => factory.Services.GetRequiredService<ItemTransitions>();

    [Fact]
    public async Task An_item_finished_twice_changes_nothing_the_second_time_and_the_counts_stay_right()
    {
        var (_, jobId) = await factory.CreateUndispatchedJobAsync(2);
        var worker = new WorkerIdentity("worker-a", Guid.NewGuid());
        Assert.Equal(2, (await Transitions.ClaimAsync(jobId, 0, 1, worker, Lease, CancellationToken.None)).Count);
        var first = Guid.NewGuid();

        var (changed, completion) = await Transitions.FinishAsync(jobId, 0, ItemState.Succeeded, first, null, null, "worker-a", CancellationToken.None);
        Assert.True(changed);
        Assert.Null(completion);

        // A second worker (or a replayed chunk) finishing the same item, with another outcome.
        (changed, completion) = await Transitions.FinishAsync(jobId, 0, ItemState.Failed, null, "internal", "late duplicate", "worker-b", CancellationToken.None);
        Assert.False(changed);
        Assert.Null(completion);
        Assert.Equal(1, await factory.CountAsync("SELECT succeeded FROM jobs.jobs WHERE id = @jobId", jobId));
        Assert.Equal(0, await factory.CountAsync("SELECT failed FROM jobs.jobs WHERE id = @jobId", jobId));
        Assert.Equal(1, await factory.CountAsync($"SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND idx = 0 AND state = 'succeeded' AND result_id = '{first}' AND processed_by = 'worker-a'", jobId));

        // The last item completes the job exactly once, however often it is finished.
        (changed, completion) = await Transitions.FinishAsync(jobId, 1, ItemState.Succeeded, Guid.NewGuid(), null, null, "worker-a", CancellationToken.None);
        Assert.True(changed);
        Assert.NotNull(completion);
        Assert.Equal("succeeded", completion.Status);
        (changed, completion) = await Transitions.FinishAsync(jobId, 1, ItemState.Succeeded, Guid.NewGuid(), null, null, "worker-b", CancellationToken.None);
        Assert.False(changed);
        Assert.Null(completion);
        Assert.Equal(2, await factory.CountAsync("SELECT succeeded FROM jobs.jobs WHERE id = @jobId", jobId));
        Assert.Equal(2, await factory.CountAsync("SELECT succeeded + failed + cancelled FROM jobs.jobs WHERE id = @jobId", jobId));
    }

    [Fact]
    public async Task An_item_leased_by_a_live_worker_is_not_claimed_by_another_execution()
    {
        var (_, jobId) = await factory.CreateUndispatchedJobAsync(2);
        var a = new WorkerIdentity("worker-a", Guid.NewGuid());
        var b = new WorkerIdentity("worker-b", Guid.NewGuid());

        Assert.Equal([0, 1], (await Transitions.ClaimAsync(jobId, 0, 1, a, Lease, CancellationToken.None)).Select(i => i.Idx));
        Assert.Empty(await Transitions.ClaimAsync(jobId, 0, 1, b, Lease, CancellationToken.None));
        Assert.Empty(await Transitions.ClaimAsync(jobId, 0, 1, a, Lease, CancellationToken.None));

        // Only the holder may put an item back for a retry.
        Assert.False(await Transitions.RequeueForRetryAsync(jobId, 0, b.LeaseOwner, "overloaded", "busy", CancellationToken.None));
        Assert.True(await Transitions.RequeueForRetryAsync(jobId, 0, a.LeaseOwner, "overloaded", "busy", CancellationToken.None));
        Assert.Equal([0], (await Transitions.ClaimAsync(jobId, 0, 1, b, Lease, CancellationToken.None)).Select(i => i.Idx));
    }

    [Fact]
    public async Task An_item_whose_lease_expired_can_be_claimed_again_and_counts_an_attempt()
    {
        var (_, jobId) = await factory.CreateUndispatchedJobAsync(1);
        var dead = new WorkerIdentity("dead", Guid.NewGuid());
        var live = new WorkerIdentity("live", Guid.NewGuid());
        Assert.Single(await Transitions.ClaimAsync(jobId, 0, 0, dead, TimeSpan.FromMilliseconds(200), CancellationToken.None));

        await Task.Delay(500);
        var claimed = Assert.Single(await Transitions.ClaimAsync(jobId, 0, 0, live, Lease, CancellationToken.None));
        Assert.Equal(2, claimed.Attempts);
        Assert.Equal("live", claimed.ProcessedBy);
    }

    [Fact]
    public async Task A_chunk_replayed_after_its_items_finished_changes_nothing()
    {
        var (tenantId, jobId) = await factory.CreateUndispatchedJobAsync(2);
        var worker = factory.Services.GetRequiredService<JobWorker>();
        await worker.ProcessAsync(tenantId, jobId, 0, 1, CancellationToken.None);
        Assert.Equal(2, await factory.CountAsync("SELECT succeeded FROM jobs.jobs WHERE id = @jobId", jobId));
        var resultsBefore = await factory.CountAsync("SELECT count(*) FROM results.results r JOIN jobs.items i ON i.result_id = r.id WHERE i.job_id = @jobId", jobId);

        await factory.Services.GetRequiredService<JobWorker>().ProcessAsync(tenantId, jobId, 0, 1, CancellationToken.None);

        Assert.Equal(2, await factory.CountAsync("SELECT succeeded FROM jobs.jobs WHERE id = @jobId", jobId));
        Assert.Equal(2, await factory.CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND attempts = 1", jobId));
        Assert.Equal(resultsBefore, await factory.CountAsync("SELECT count(*) FROM results.results r JOIN jobs.items i ON i.result_id = r.id WHERE i.job_id = @jobId", jobId));
    }

    [Fact]
    public async Task The_jobs_table_has_no_base_url_column_any_more()
    {
        // Webhook links start with Deployment:PublicBaseUrl; the request's scheme and host were never read back (migration 0013).
        Assert.Equal(0, await factory.CountAsync(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'jobs' AND table_name = 'jobs' AND column_name = 'base_url' AND @jobId IS NOT NULL", Guid.Empty));
        Assert.Equal(1, await factory.CountAsync(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'jobs' AND table_name = 'jobs' AND column_name = 'callback_url' AND @jobId IS NOT NULL", Guid.Empty));
    }
}
