using System.Diagnostics;
using System.Runtime.CompilerServices;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Scheduling;

namespace Detector.Tests.Unit.Inference;

public sealed class WorkQueueTests
{
    private static readonly TimeSpan Forever = TimeSpan.FromMinutes(10);

    [Fact]
    public void Interactive_items_are_taken_before_background_ones_each_in_arrival_order()
    {
        using var queue = Create(maxBatch: 4, maxDelay: Forever);
        var items = new[] { Item(1, DetectionPriority.Background), Item(2), Item(3, DetectionPriority.Background), Item(4) };
        foreach (var item in items)
        {
            _ = queue.EnqueueAsync(item, CancellationToken.None);
        }

        var batch = new WorkItem[4];
        Assert.Equal((4, 0), queue.Take(batch, new WorkItem[4], CancellationToken.None));
        Assert.Equal([2f, 4f, 1f, 3f], batch.Select(i => i.Input[0]));
        Assert.Equal(0, queue.Depth);
    }

    [Fact]
    public void Tenants_are_served_in_turns_whatever_their_backlogs()
    {
        using var queue = Create(maxBatch: 8, maxDelay: Forever);
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        var c = Guid.NewGuid();
        foreach (var tag in new[] { 1, 2, 3, 4, 5, 6 })
        {
            _ = queue.EnqueueAsync(new WorkItem(FakeRuntime.Input(tag), DetectionPriority.Interactive, long.MaxValue, a), CancellationToken.None);
        }

        _ = queue.EnqueueAsync(new WorkItem(FakeRuntime.Input(20), DetectionPriority.Interactive, long.MaxValue, b), CancellationToken.None);
        _ = queue.EnqueueAsync(new WorkItem(FakeRuntime.Input(30), DetectionPriority.Interactive, long.MaxValue, c), CancellationToken.None);
        _ = queue.EnqueueAsync(new WorkItem(FakeRuntime.Input(21), DetectionPriority.Interactive, long.MaxValue, b), CancellationToken.None);

        var batch = new WorkItem[3];
        Assert.Equal((3, 0), queue.Take(batch, new WorkItem[3], CancellationToken.None));
        Assert.Equal([1f, 20f, 30f], batch.Select(i => i.Input[0]));
        queue.BatchDone();
        Assert.Equal((3, 0), queue.Take(batch, new WorkItem[3], CancellationToken.None));
        Assert.Equal([2f, 21f, 3f], batch.Select(i => i.Input[0]));
    }

    [Fact]
    public void While_callers_are_around_background_batches_leave_an_executor_free_for_them()
    {
        using var queue = new WorkQueue(1, Forever, new SchedulerMetrics($"queue-reserve-{Guid.NewGuid():N}", "v1"), backgroundExecutors: 1);
        var batch = new WorkItem[1];
        _ = queue.EnqueueAsync(Item(1), CancellationToken.None);
        Assert.Equal((1, 0), queue.Take(batch, new WorkItem[1], CancellationToken.None));
        queue.BatchDone();

        _ = queue.EnqueueAsync(Item(2, DetectionPriority.Background), CancellationToken.None);
        _ = queue.EnqueueAsync(Item(3, DetectionPriority.Background), CancellationToken.None);
        Assert.Equal((1, 0), queue.Take(batch, new WorkItem[1], CancellationToken.None)); // the one background executor
        using (var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            Assert.Equal((0, 0), queue.Take(batch, new WorkItem[1], shortWait.Token)); // the other stays free
        }

        _ = queue.EnqueueAsync(Item(4), CancellationToken.None);
        Assert.Equal((1, 0), queue.Take(batch, new WorkItem[1], CancellationToken.None));
        Assert.Equal(4f, batch[0].Input[0]);
    }

    [Fact]
    public void An_idle_model_takes_a_lone_item_at_once()
    {
        using var queue = Create(maxBatch: 8, maxDelay: Forever);
        _ = queue.EnqueueAsync(Item(1), CancellationToken.None);

        Assert.Equal((1, 0), queue.Take(new WorkItem[8], new WorkItem[8], CancellationToken.None));
    }

    [Fact]
    public void While_a_batch_runs_a_partial_batch_waits_and_a_full_one_is_taken_at_once()
    {
        using var queue = Create(maxBatch: 2, maxDelay: Forever);
        _ = queue.EnqueueAsync(Item(1), CancellationToken.None);
        Assert.Equal((1, 0), queue.Take(new WorkItem[2], new WorkItem[2], CancellationToken.None)); // now busy

        _ = queue.EnqueueAsync(Item(2), CancellationToken.None);
        using (var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            Assert.Equal((0, 0), queue.Take(new WorkItem[2], new WorkItem[2], shortWait.Token));
        }

        _ = queue.EnqueueAsync(Item(3), CancellationToken.None);
        Assert.Equal((2, 0), queue.Take(new WorkItem[2], new WorkItem[2], CancellationToken.None));
    }

    [Fact]
    public void While_a_batch_runs_a_partial_batch_goes_once_its_oldest_item_reaches_the_delay()
    {
        using var queue = Create(maxBatch: 4, maxDelay: TimeSpan.FromMilliseconds(50));
        _ = queue.EnqueueAsync(Item(1), CancellationToken.None);
        queue.Take(new WorkItem[4], new WorkItem[4], CancellationToken.None);

        _ = queue.EnqueueAsync(Item(2), CancellationToken.None);
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal((1, 0), queue.Take(new WorkItem[4], new WorkItem[4], guard.Token));
    }

    [Fact]
    public void Finishing_a_batch_lets_a_waiting_partial_batch_go()
    {
        using var queue = Create(maxBatch: 4, maxDelay: Forever);
        _ = queue.EnqueueAsync(Item(1), CancellationToken.None);
        queue.Take(new WorkItem[4], new WorkItem[4], CancellationToken.None);
        _ = queue.EnqueueAsync(Item(2), CancellationToken.None);

        queue.BatchDone();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal((1, 0), queue.Take(new WorkItem[4], new WorkItem[4], guard.Token));
    }

    [Fact]
    public void Expired_items_are_handed_back_apart_from_the_batch()
    {
        using var queue = Create(maxBatch: 4, maxDelay: Forever);
        var expired = new WorkItem(FakeRuntime.Input(9), DetectionPriority.Interactive, Stopwatch.GetTimestamp() - 1);
        _ = queue.EnqueueAsync(expired, CancellationToken.None);
        _ = queue.EnqueueAsync(Item(1), CancellationToken.None);

        var batch = new WorkItem[4];
        var dropped = new WorkItem[4];
        Assert.Equal((1, 1), queue.Take(batch, dropped, CancellationToken.None));
        Assert.Same(expired, dropped[0]);
        Assert.Equal(1f, batch[0].Input[0]);
    }

    [Fact]
    public async Task A_cancelled_item_leaves_the_queue_and_its_task_is_cancelled()
    {
        using var queue = Create(maxBatch: 4, maxDelay: Forever);
        using var cts = new CancellationTokenSource();
        var task = queue.EnqueueAsync(Item(1), cts.Token);
        Assert.Equal(1, queue.Depth);

        await cts.CancelAsync();

        Assert.True(task.IsCanceled);
        Assert.Equal(0, queue.Depth);
    }

    [Fact]
    public void Drain_returns_everything_still_queued()
    {
        using var queue = Create(maxBatch: 4, maxDelay: Forever);
        _ = queue.EnqueueAsync(Item(1, DetectionPriority.Background), CancellationToken.None);
        _ = queue.EnqueueAsync(Item(2), CancellationToken.None);

        Assert.Equal([2f, 1f], queue.Drain().Select(i => i.Input[0]));
        Assert.Equal(0, queue.Depth);
    }

    private static WorkItem Item(float tag, DetectionPriority priority = DetectionPriority.Interactive) => new(FakeRuntime.Input(tag), priority, long.MaxValue);

    private static WorkQueue Create(int maxBatch, TimeSpan maxDelay, [CallerMemberName] string test = "") =>
        new(maxBatch, maxDelay, new SchedulerMetrics($"queue-{test}-{Guid.NewGuid():N}", "v1"));
}
