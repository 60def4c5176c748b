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

        var failed = await Assert.ThrowsAsync<ProblemException>(() => h.Queue.EnqueueAsync(Item(FakeRuntime.FailMarker), CancellationToken.None).WaitAsync(Guard));
        Assert.Equal(ErrorCodes.InferenceFailed, failed.Code);

        var next = Item(5);
        var info = await h.Queue.EnqueueAsync(next, CancellationToken.None).WaitAsync(Guard);
        Assert.Equal(1, info.BatchSize);
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
        var ex = await Assert.ThrowsAsync<ProblemException>(() => waiting.WaitAsync(Guard));
        Assert.Equal(503, ex.Status);
        Assert.False(h.Runtime.Saw(2));
    }

    private static WorkItem Item(float tag) => new(FakeRuntime.Input(tag), DetectionPriority.Interactive, long.MaxValue);

    private sealed class LoopHarness : IAsyncDisposable
    {
        private readonly BatchLoop _loop;
        private bool _disposed;

        public LoopHarness(int maxBatch, [CallerMemberName] string test = "")
        {
            var metrics = new SchedulerMetrics($"loop-{test}-{Guid.NewGuid():N}", "v1");
            IBatchExecutor executor = new FakeBatchExecutor(Runtime, maxBatch);
            Queue = new WorkQueue(maxBatch, TimeSpan.FromMinutes(10), metrics);
            Admission = new AdmissionControl(100, TimeSpan.Zero, 0, metrics.Rejected);
            _loop = new BatchLoop("fake", [executor], maxBatch, Queue, Admission, new TensorPool(FakeRuntime.Length, 16), metrics, NullLogger.Instance);
        }

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
