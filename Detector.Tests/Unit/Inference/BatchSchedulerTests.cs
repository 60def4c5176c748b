using System.Diagnostics;
using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Scheduling;

namespace Detector.Tests.Unit.Inference;

public sealed class BatchSchedulerTests
{
    // Hang guard only; nothing here asserts on how long anything took.
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Forever = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Full_batch_flushes_before_the_delay_cap()
    {
        await using var h = SchedulerHarness.Create(executors: 2, maxBatch: 4, maxDelay: Forever);
        var blocker = await h.BlockOneExecutorAsync();

        var items = Enumerable.Range(1, 4).Select(i => SchedulerHarness.Item(i)).ToList();
        var results = await Task.WhenAll(items.Select(i => h.Enqueue(i))).WaitAsync(Guard);

        Assert.All(results, r => Assert.Equal(4, r.BatchSize));
        Assert.Contains(h.Runtime.Batches, b => b.Length == 4 && b.Select(i => i[0]).Order().SequenceEqual([1f, 2f, 3f, 4f]));
        Assert.False(blocker.IsCompleted);
        ReturnOutputs(items);
    }

    [Fact]
    public async Task Partial_batch_flushes_when_the_oldest_request_reaches_the_delay()
    {
        await using var h = SchedulerHarness.Create(executors: 2, maxBatch: 4, maxDelay: TimeSpan.FromMilliseconds(50));
        var blocker = await h.BlockOneExecutorAsync();

        var item = SchedulerHarness.Item(7);
        var result = await h.Enqueue(item).WaitAsync(Guard);

        Assert.Equal(1, result.BatchSize);
        Assert.Equal(FakeRuntime.Output(item.Input), item.Output.AsSpan(0, FakeRuntime.Length).ToArray());
        Assert.False(blocker.IsCompleted);
        ReturnOutputs([item]);
    }

    [Fact]
    public async Task Idle_scheduler_runs_a_lone_request_at_once()
    {
        await using var h = SchedulerHarness.Create(executors: 2, maxBatch: 8, maxDelay: Forever);

        var item = SchedulerHarness.Item(3);
        var result = await h.Enqueue(item).WaitAsync(Guard);

        Assert.Equal(1, result.BatchSize);
        Assert.Equal([4f, 4f, 4f, 4f], item.Output.AsSpan(0, FakeRuntime.Length).ToArray());
        ReturnOutputs([item]);
    }

    [Fact]
    public async Task Expired_requests_are_dropped_before_inference()
    {
        await using var h = SchedulerHarness.Create(executors: 1, maxBatch: 4, maxDelay: Forever);

        var expired = new WorkItem(FakeRuntime.Input(5), DetectionPriority.Interactive, Stopwatch.GetTimestamp() - 1);
        var ex = await Assert.ThrowsAsync<DomainException>(() => h.Enqueue(expired).WaitAsync(Guard));

        Assert.Equal(504, ex.Status);
        Assert.Equal(ErrorCodes.DeadlineExceeded, ex.Code);
        Assert.False(h.Runtime.Saw(5));
        Assert.Null(expired.Output);
    }

    [Fact]
    public async Task Interactive_requests_run_before_background_ones()
    {
        await using var h = SchedulerHarness.Create(executors: 1, maxBatch: 2, maxDelay: Forever);
        var blocker = await h.BlockOneExecutorAsync();

        var background = new[] { SchedulerHarness.Item(10, DetectionPriority.Background), SchedulerHarness.Item(11, DetectionPriority.Background) };
        var interactive = new[] { SchedulerHarness.Item(20), SchedulerHarness.Item(21) };
        var tasks = background.Concat(interactive).Select(i => h.Enqueue(i)).ToList();
        h.Runtime.Unblock();
        await Task.WhenAll(tasks.Append(blocker)).WaitAsync(Guard);

        var order = h.Runtime.Batches.Select(b => b.Select(i => i[0]).ToArray()).ToList();
        Assert.Equal(3, order.Count);
        Assert.Equal([FakeRuntime.BlockMarker], order[0]);
        Assert.Equal([20f, 21f], order[1]);
        Assert.Equal([10f, 11f], order[2]);
        ReturnOutputs([.. background, .. interactive]);
    }

    [Fact]
    public async Task Full_queue_rejects_new_requests()
    {
        await using var h = SchedulerHarness.Create(executors: 1, maxBatch: 4, maxDelay: Forever, queueCapacity: 3);
        var s = h.Scheduler;

        Assert.True(s.TryAdmit());
        Assert.True(s.TryAdmit());
        Assert.True(s.TryAdmit());
        Assert.False(s.TryAdmit());
        Assert.InRange(s.EstimateRetryAfterSeconds(), 1, 60);

        s.Release();
        Assert.True(s.TryAdmit());
        Assert.False(s.TryAdmit());
    }

    [Fact]
    public async Task Retry_after_estimate_stays_between_one_and_sixty_seconds_once_throughput_is_known()
    {
        await using var h = SchedulerHarness.Create(executors: 1, maxBatch: 4, maxDelay: Forever, queueCapacity: 1_000_000);
        var item = SchedulerHarness.Item(1);
        await h.Enqueue(item).WaitAsync(Guard);
        ReturnOutputs([item]);

        Assert.InRange(h.Scheduler.EstimateRetryAfterSeconds(), 1, 60);
        for (var i = 0; i < 100_000; i++)
        {
            h.Scheduler.TryAdmit();
        }

        Assert.InRange(h.Scheduler.EstimateRetryAfterSeconds(), 1, 60);
    }

    [Fact]
    public async Task Cancelled_queued_request_is_removed_and_never_runs()
    {
        await using var h = SchedulerHarness.Create(executors: 1, maxBatch: 4, maxDelay: Forever);
        var blocker = await h.BlockOneExecutorAsync();
        using var cts = new CancellationTokenSource();

        var doomed = h.Enqueue(SchedulerHarness.Item(9), cts.Token);
        Assert.Equal(1, h.Scheduler.QueueDepth);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => doomed.WaitAsync(Guard));
        Assert.True(doomed.IsCanceled);
        Assert.Equal(0, h.Scheduler.QueueDepth);

        h.Runtime.Unblock();
        await blocker.WaitAsync(Guard);

        // One executor runs in queue order, so once a later request is done the cancelled one had its chance.
        var later = SchedulerHarness.Item(12);
        await h.Enqueue(later).WaitAsync(Guard);
        Assert.False(h.Runtime.Saw(9));
        Assert.True(h.Runtime.Saw(12));
        ReturnOutputs([later]);
    }

    [Fact]
    public async Task Request_whose_caller_already_left_is_never_queued()
    {
        await using var h = SchedulerHarness.Create(executors: 1, maxBatch: 4, maxDelay: Forever);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var doomed = h.Enqueue(SchedulerHarness.Item(21), cts.Token);

        Assert.True(doomed.IsCanceled);
        Assert.Equal(0, h.Scheduler.QueueDepth);
        var later = SchedulerHarness.Item(22);
        await h.Enqueue(later).WaitAsync(Guard);
        Assert.False(h.Runtime.Saw(21));
        ReturnOutputs([later]);
    }

    [Fact]
    public async Task Ten_thousand_concurrent_requests_each_get_their_own_result()
    {
        const int Count = 10_000;
        await using var h = SchedulerHarness.Create(executors: 2, maxBatch: 8, maxDelay: TimeSpan.FromMilliseconds(1));
        var random = new Random(1234);

        // Integers below 2^20 keep input + 1 exact in float; the first value is unique per request.
        var inputs = Enumerable.Range(0, Count)
            .Select(i => new float[] { i, random.Next(1 << 20), random.Next(1 << 20), random.Next(1 << 20) })
            .ToArray();

        var mismatches = 0;
        var batchSizes = new int[Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, Count), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
        {
            var item = new WorkItem(inputs[i], i % 3 == 0 ? DetectionPriority.Background : DetectionPriority.Interactive, long.MaxValue);
            var info = await h.Enqueue(item, ct).WaitAsync(Guard, ct);
            batchSizes[i] = info.BatchSize;
            if (!item.Output.AsSpan(0, FakeRuntime.Length).SequenceEqual(FakeRuntime.Output(inputs[i])))
            {
                Interlocked.Increment(ref mismatches);
            }

            h.Scheduler.Return(item.Output!);
        }).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(0, mismatches);
        Assert.All(batchSizes, b => Assert.InRange(b, 1, 8));
        var seen = h.Runtime.Batches.SelectMany(b => b).Select(i => (int)i[0]).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, Count), seen);
        Assert.Equal(0, h.Scheduler.QueueDepth);
    }

    [Fact]
    public async Task A_failing_batch_fails_only_its_requests_with_a_503()
    {
        await using var h = SchedulerHarness.Create(executors: 1, maxBatch: 2, maxDelay: Forever);
        var blocker = await h.BlockOneExecutorAsync();

        // One executor takes the queue in order: [fail, 31] is one batch, [32, 33] the next.
        var failing = h.Enqueue(SchedulerHarness.Item(FakeRuntime.FailMarker));
        var sameBatch = h.Enqueue(SchedulerHarness.Item(31));
        var next = new[] { SchedulerHarness.Item(32), SchedulerHarness.Item(33) };
        var nextTasks = next.Select(i => h.Enqueue(i)).ToList();
        h.Runtime.Unblock();
        await blocker.WaitAsync(Guard);

        foreach (var failed in new[] { failing, sameBatch })
        {
            var ex = await Assert.ThrowsAsync<DomainException>(() => failed.WaitAsync(Guard));
            Assert.Equal(503, ex.Status);
            Assert.Equal(ErrorCodes.InferenceFailed, ex.Code);
            Assert.IsType<InvalidOperationException>(ex.InnerException);
        }

        var results = await Task.WhenAll(nextTasks).WaitAsync(Guard);
        Assert.All(results, r => Assert.Equal(2, r.BatchSize));
        Assert.All(next, i => Assert.Equal(FakeRuntime.Output(i.Input), i.Output.AsSpan(0, FakeRuntime.Length).ToArray()));
        ReturnOutputs(next);
    }

    [Fact]
    public async Task With_a_small_queue_a_flooding_tenant_cannot_starve_another_tenants_request()
    {
        // One executor, batches of one, room for eight; tenant A may hold six, and does.
        await using var h = SchedulerHarness.Create(executors: 1, maxBatch: 1, maxDelay: Forever, queueCapacity: 8);
        var blocker = await h.BlockOneExecutorAsync();
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        var flood = new List<WorkItem>();
        var floodTasks = new List<Task<BatchInfo>>();
        while (h.Scheduler.Admit(DetectionPriority.Interactive, a, maxInFlight: 6) == Admission.Admitted)
        {
            var item = new WorkItem(FakeRuntime.Input(100 + flood.Count), DetectionPriority.Interactive, long.MaxValue, a);
            flood.Add(item);
            floodTasks.Add(h.Enqueue(item));
        }

        Assert.Equal(6, flood.Count);
        Assert.Equal(Admission.Admitted, h.Scheduler.Admit(DetectionPriority.Interactive, b, maxInFlight: 6));
        var quiet = new WorkItem(FakeRuntime.Input(7), DetectionPriority.Interactive, long.MaxValue, b);
        var quietTask = h.Enqueue(quiet);

        h.Runtime.Unblock();
        await Task.WhenAll(floodTasks.Append(quietTask).Append(blocker)).WaitAsync(Guard);

        var order = h.Runtime.Batches.Select(batch => batch[0][0]).ToList();
        Assert.Equal(FakeRuntime.BlockMarker, order[0]);
        Assert.Equal(100f, order[1]); // A was first in line
        Assert.Equal(7f, order[2]);   // then B's turn, ahead of A's other five
        ReturnOutputs([.. flood, quiet]);
    }

    // The outputs came from the scheduler's pool; the tests drop them (the pool allocates anew when empty).
    private static void ReturnOutputs(IEnumerable<WorkItem> items)
    {
        foreach (var item in items)
        {
            item.Output = null;
        }
    }
}
