using System.Runtime.CompilerServices;
using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Scheduling;
using Microsoft.Extensions.Logging.Abstractions;

namespace Detector.Tests.Unit.Inference;

public sealed class BatchLoopTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Each_request_gets_the_output_of_its_own_input()
    {
        await using var h = new LoopHarness(maxBatch: 4);
        var items = Enumerable.Range(1, 6).Select(i => Item(i)).ToList();

        await Task.WhenAll(items.Select(i => h.Queue.EnqueueAsync(i, CancellationToken.None))).WaitAsync(Guard);

        Assert.All(items, i => Assert.Equal(FakeRuntime.Output(i.Input), i.Output.AsSpan(0, FakeRuntime.Length).ToArray()));
    }

    [Fact]
    public async Task A_failing_batch_fails_only_its_requests_and_the_loop_runs_the_next_one()
    {
        await using var h = new LoopHarness(maxBatch: 1);

        var failed = await Assert.ThrowsAsync<DomainException>(() => h.Queue.EnqueueAsync(Item(FakeRuntime.FailMarker), CancellationToken.None).WaitAsync(Guard));
        Assert.Equal(ErrorCodes.InferenceFailed, failed.Code);

        var next = Item(5);
        var info = await h.Queue.EnqueueAsync(next, CancellationToken.None).WaitAsync(Guard);
        Assert.Equal(1, info.BatchSize);
        Assert.Equal(FakeRuntime.Output(next.Input), next.Output.AsSpan(0, FakeRuntime.Length).ToArray());
    }

    [Fact]
    public async Task A_batch_that_fails_outside_the_run_fails_its_requests_and_the_executor_thread_survives()
    {
        await using var h = new LoopHarness(maxBatch: 1);
        // An input shorter than the model's makes the copy into the slot throw before the run:
        // an exception the run's own handling never sees. Escaping the batch thread, it would end the process.
        var malformed = new WorkItem(new float[FakeRuntime.Length - 1], DetectionPriority.Interactive, long.MaxValue);

        var failed = await Assert.ThrowsAsync<DomainException>(() => h.Queue.EnqueueAsync(malformed, CancellationToken.None).WaitAsync(Guard));
        Assert.Equal(ErrorCodes.InferenceFailed, failed.Code);

        var next = Item(7);
        await h.Queue.EnqueueAsync(next, CancellationToken.None).WaitAsync(Guard);
        Assert.Equal(FakeRuntime.Output(next.Input), next.Output.AsSpan(0, FakeRuntime.Length).ToArray());
    }

    [Fact]
    public async Task Each_batch_reports_its_throughput_to_admission()
    {
        await using var h = new LoopHarness(maxBatch: 2);
        Assert.Equal(0, h.Admission.ImagesPerSecond);

        await h.Queue.EnqueueAsync(Item(1), CancellationToken.None).WaitAsync(Guard);

        Assert.True(h.Admission.ImagesPerSecond > 0);
    }

    [Fact]
    public async Task Stopping_fails_what_is_still_queued_with_a_503()
    {
        await using var h = new LoopHarness(maxBatch: 1);
        var blocker = h.Queue.EnqueueAsync(Item(FakeRuntime.BlockMarker), CancellationToken.None);
        await h.Runtime.WaitUntilBlockedAsync();
        var waiting = h.Queue.EnqueueAsync(Item(2), CancellationToken.None);

        // Stop first (the running batch holds the executor), then let the running batch finish.
        var stopping = h.StopAsync();
        h.Runtime.Unblock();
        await stopping.WaitAsync(Guard);

        await blocker.WaitAsync(Guard);
        var ex = await Assert.ThrowsAsync<DomainException>(() => waiting.WaitAsync(Guard));
        Assert.Equal(503, ex.Status);
        Assert.False(h.Runtime.Saw(2));
    }

    [Fact]
    public async Task A_failed_run_recreates_that_executors_session_and_readiness_counts_it_unhealthy_meanwhile()
    {
        await using var h = new LoopHarness(maxBatch: 1);

        await Assert.ThrowsAsync<DomainException>(() => h.Queue.EnqueueAsync(Item(FakeRuntime.FailMarker), CancellationToken.None).WaitAsync(Guard));
        var next = Item(6);
        await h.Queue.EnqueueAsync(next, CancellationToken.None).WaitAsync(Guard);

        Assert.Equal(1, h.Executors[0].Recoveries);
        Assert.Equal(0, h.Loop.UnhealthyExecutors);
        Assert.Equal(FakeRuntime.Output(next.Input), next.Output.AsSpan(0, FakeRuntime.Length).ToArray());
    }

    [Fact]
    public async Task A_batch_that_runs_out_of_memory_is_retried_in_halves_and_every_request_gets_its_output()
    {
        await using var h = new LoopHarness(maxBatch: 4);
        h.Runtime.OutOfMemoryAbove = 1;
        var blocker = h.Queue.EnqueueAsync(Item(FakeRuntime.BlockMarker), CancellationToken.None);
        await h.Runtime.WaitUntilBlockedAsync();
        var items = Enumerable.Range(10, 4).Select(t => Item(t)).ToList();
        var waits = items.Select(i => h.Queue.EnqueueAsync(i, CancellationToken.None)).ToList();

        h.Runtime.Unblock();
        await blocker.WaitAsync(Guard);
        await Task.WhenAll(waits).WaitAsync(Guard);

        Assert.Contains(h.Runtime.Batches, b => b.Length == 4);
        Assert.All(items, i => Assert.Equal(FakeRuntime.Output(i.Input), i.Output.AsSpan(0, FakeRuntime.Length).ToArray()));
        Assert.Equal(0, h.Executors[0].Recoveries);
    }

    [Fact]
    public async Task One_request_on_an_idle_machine_runs_on_every_core_and_a_queue_runs_one_thread_per_core_never_more()
    {
        await using var h = new LoopHarness(maxBatch: 1, executors: 2, wide: true);

        // Admitted as the service admits them: "alone" is one request holding a place.
        var alone = Item(1);
        Assert.True(h.Admission.TryAdmit(DetectionPriority.Interactive));
        await h.Queue.EnqueueAsync(alone, CancellationToken.None).WaitAsync(Guard);
        h.Admission.Release(DetectionPriority.Interactive);
        Assert.Equal(1, h.Wide!.Runs);

        var crowd = Enumerable.Range(100, 40).Select(t => Item(t)).ToList();
        Assert.All(crowd, _ => Assert.True(h.Admission.TryAdmit(DetectionPriority.Interactive)));
        await Task.WhenAll(crowd.Select(i => h.Queue.EnqueueAsync(i, CancellationToken.None))).WaitAsync(Guard);

        Assert.True(h.Executors.Sum(e => e.Runs) > 20, "a queue should run on the single-threaded slots");
        Assert.True(h.Runtime.MaxThreadsRunning <= 2, $"{h.Runtime.MaxThreadsRunning} runtime threads ran at once on 2 cores");
        Assert.All(crowd, i => Assert.Equal(FakeRuntime.Output(i.Input), i.Output.AsSpan(0, FakeRuntime.Length).ToArray()));
    }

    private static WorkItem Item(float tag) => new(FakeRuntime.Input(tag), DetectionPriority.Interactive, long.MaxValue);

    private sealed class LoopHarness : IAsyncDisposable
    {
        private readonly BatchLoop _loop;
        private bool _disposed;

        public LoopHarness(int maxBatch, int executors = 1, bool wide = false, [CallerMemberName] string test = "")
        {
            var metrics = new SchedulerMetrics($"loop-{test}-{Guid.NewGuid():N}", "v1");
            Executors = [.. Enumerable.Range(0, executors).Select(_ => new FakeBatchExecutor(Runtime, maxBatch))];
            Wide = wide ? new FakeBatchExecutor(Runtime, 1, threads: executors) : null;
            Queue = new WorkQueue(maxBatch, TimeSpan.FromMinutes(10), metrics);
            Admission = new AdmissionControl(100, TimeSpan.Zero, 0, metrics.Rejected);
            var extras = new ExecutorOptions(Wide, new CoreBudget(executors));
            _loop = Loop = new BatchLoop("fake", [.. Executors], maxBatch, Queue, Admission, new TensorPool(FakeRuntime.Length, 64), metrics, NullLogger.Instance, extras);
        }

        public IReadOnlyList<FakeBatchExecutor> Executors { get; }

        public FakeBatchExecutor? Wide { get; }

        public BatchLoop Loop { get; }

        public FakeRuntime Runtime { get; } = new();

        public WorkQueue Queue { get; }

        public AdmissionControl Admission { get; }

        public async Task StopAsync()
        {
            if (!_disposed)
            {
                _disposed = true;
                await _loop.DisposeAsync();
                Queue.Dispose();
            }
        }

        public async ValueTask DisposeAsync()
        {
            Runtime.Unblock();
            await StopAsync();
        }
    }
}
