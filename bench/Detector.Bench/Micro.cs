using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Scheduling;
using Microsoft.Extensions.Logging.Abstractions;

namespace Detector.Bench;

/// <summary>
/// An executor that does no work. A batch whose first input starts with <see cref="BlockerMarker"/>
/// blocks in Run until <see cref="Gate"/> opens, so a benchmark can queue a full batch behind it.
/// </summary>
internal sealed class FakeExecutor(int maxBatch, int inputLength, int outputLength) : IBatchExecutor
{
    public const float BlockerMarker = -1f;
    private readonly float[] _input = new float[maxBatch * inputLength];
    private readonly float[] _output = new float[maxBatch * outputLength];

    public ManualResetEventSlim Gate { get; } = new(true);

    public ManualResetEventSlim Entered { get; } = new(false);

    public int MaxBatch => maxBatch;

    public int InputLength => inputLength;

    public int OutputLength => outputLength;

    public Span<float> InputSlot(int index) => _input.AsSpan(index * inputLength, inputLength);

    /// <summary>Bytes the loop thread allocated between consecutive Run calls, summed: one batch-loop cycle each.</summary>
    public long LoopBytes { get; private set; }

    public long LoopCycles { get; private set; }


    private long _lastAllocated = -1;

    public void ResetLoopCount()
    {
        LoopBytes = 0;
        LoopCycles = 0;
        _lastAllocated = -1;
    }

    public void Run(int batchSize)
    {
        // Measured on the loop thread itself, so callers' allocations on other threads cannot blur it.
        var now = GC.GetAllocatedBytesForCurrentThread();
        if (_lastAllocated >= 0)
        {
            LoopBytes += now - _lastAllocated;
            LoopCycles++;
        }

        if (_input[0] == BlockerMarker)
        {
            Entered.Set();
            Gate.Wait();
        }

        _lastAllocated = GC.GetAllocatedBytesForCurrentThread();
    }

    public void CopyOutput(int index, Span<float> destination) => _output.AsSpan(index * outputLength, outputLength).CopyTo(destination);
}

/// <summary>
/// The batch loop of <see cref="BatchScheduler"/> with a fake executor. One operation = one
/// blocker batch of 1 (holds the executor) + one full batch of <see cref="BatchSize"/> queued
/// behind it + the idle wait after it, i.e. two batch-loop cycles. <see cref="CallerOnly"/>
/// allocates exactly what the callers allocate for the same requests (WorkItem, its
/// TaskCompletionSource, the cancellation registration, the awaits), so
/// (ScheduleAndRun - CallerOnly) / 2 is what the loop allocates per batch.
/// </summary>
[MemoryDiagnoser]
public class BatchLoopBenchmarks
{
    private const int InputLength = 64;
    private BatchScheduler _scheduler = null!;

    private FakeExecutor _executor = null!;
    private float[] _blockerInput = null!;
    private float[] _input = null!;
    private CancellationTokenSource _cts = null!;
    private readonly Completer _completer = new();
    private Action<float[]> _returnToScheduler = null!;
    private static readonly Action<float[]> ReturnToShared = a => System.Buffers.ArrayPool<float>.Shared.Return(a);

    [Params(1, 8)]
    public int BatchSize { get; set; }

    /// <summary>Floats per image output: tiny, and YOLOX-nano-416's real 3549 x 85.</summary>
    [Params(256, 301_665)]
    public int OutputLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _executor = new FakeExecutor(BatchSize, InputLength, OutputLength);
        _scheduler = new BatchScheduler("bench", [_executor], new SchedulerSettings(BatchSize, TimeSpan.FromMilliseconds(5), 1024), new SchedulerMetrics("bench", "micro"), NullLogger.Instance);
        _blockerInput = new float[InputLength];
        _blockerInput[0] = FakeExecutor.BlockerMarker;
        _input = new float[InputLength];
        _cts = new CancellationTokenSource();
        _returnToScheduler = _scheduler.Return;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _executor.Gate.Set();
        _scheduler.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _cts.Dispose();
    }

    [Benchmark]
    public void ScheduleAndRun()
    {
        var ct = _cts.Token;
        _executor.Gate.Reset();
        _executor.Entered.Reset();
        var blocker = new WorkItem(_blockerInput, DetectionPriority.Interactive, long.MaxValue);
        var blockerTask = _scheduler.EnqueueAsync(blocker, ct);
        _executor.Entered.Wait();
        var items = new WorkItem[BatchSize];
        var tasks = new Task<BatchInfo>[BatchSize];
        for (var i = 0; i < BatchSize; i++)
        {
            items[i] = new WorkItem(_input, DetectionPriority.Interactive, long.MaxValue);
            tasks[i] = _scheduler.EnqueueAsync(items[i], ct);
        }

        _executor.Gate.Set();
        Complete(blocker, blockerTask, _returnToScheduler);
        for (var i = 0; i < BatchSize; i++)
        {
            var info = Complete(items[i], tasks[i], _returnToScheduler);
            if (info.BatchSize != BatchSize)
            {
                throw new InvalidOperationException($"expected a batch of {BatchSize}, got {info.BatchSize}");
            }
        }
    }

    [Benchmark(Baseline = true)]
    public void CallerOnly()
    {
        var ct = _cts.Token;
        var items = new WorkItem[BatchSize + 1];
        var tasks = new Task<BatchInfo>[BatchSize + 1];
        for (var i = 0; i <= BatchSize; i++)
        {
            var item = new WorkItem(_input, DetectionPriority.Interactive, long.MaxValue);
            items[i] = item;
            // What EnqueueAsync allocates for the caller: the cancellation registration and its state.
            item.Registration = ct.Register(static s => { }, (this, item, ct));
            tasks[i] = item.Completion.Task;
        }

        // Completed on another thread like the loop does, through a reused work item (no closure).
        _completer.Items = items;
        _completer.OutputLength = OutputLength;
        ThreadPool.UnsafeQueueUserWorkItem(_completer, preferLocal: false);
        for (var i = 0; i <= BatchSize; i++)
        {
            Complete(items[i], tasks[i], ReturnToShared);
        }
    }

    private sealed class Completer : IThreadPoolWorkItem
    {
        public WorkItem[] Items { get; set; } = [];

        public int OutputLength { get; set; }

        public void Execute()
        {
            var items = Items;
            for (var i = 0; i < items.Length; i++)
            {
                items[i].Output = System.Buffers.ArrayPool<float>.Shared.Rent(OutputLength);
                items[i].Registration.Dispose();
                items[i].Completion.TrySetResult(new BatchInfo(items.Length - 1, 0, 0));
            }
        }
    }

    // Outputs go back where they came from: the scheduler's own pool, or the shared pool for the
    // baseline. The caller spins until the task completes instead of awaiting it: an await of a
    // task still running allocates its state machine, and how often that happens depends on
    // timing, not on the loop, which made the difference between the two benchmarks noisy.
    private static BatchInfo Complete(WorkItem item, Task<BatchInfo> task, Action<float[]> giveBack)
    {
        var spin = default(SpinWait);
        while (!task.IsCompleted)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }

        var info = task.Result;
        giveBack(item.Output!);
        item.Output = null;
        return info;
    }

    /// <summary>
    /// The same measurement as BenchmarkDotNet's memory diagnoser (GC.GetTotalAllocatedBytes,
    /// precise) without its statistics, for the results JSON of a full run.
    /// </summary>
    internal static JsonObject Probe(int ops = 3000)
    {
        var rows = new JsonArray();
        foreach (var batch in new[] { 1, 8 })
        {
            foreach (var outLen in new[] { 256, 301_665 })
            {
                var b = new BatchLoopBenchmarks { BatchSize = batch, OutputLength = outLen };
                b.Setup();
                try
                {
                    double Measure(Action op)
                    {
                        for (var i = 0; i < 200; i++)
                        {
                            op();
                        }

                        b._executor.ResetLoopCount();
                        var a0 = GC.GetTotalAllocatedBytes(precise: true);
                        for (var i = 0; i < ops; i++)
                        {
                            op();
                        }

                        return (GC.GetTotalAllocatedBytes(precise: true) - a0) / (double)ops;
                    }

                    var full = Measure(b.ScheduleAndRun);
                    var loopThread = b._executor.LoopCycles == 0 ? double.NaN : b._executor.LoopBytes / (double)b._executor.LoopCycles;
                    var caller = Measure(b.CallerOnly);
                    rows.Add(new JsonObject
                    {
                        ["batch_size"] = batch,
                        ["output_floats"] = outLen,
                        ["bytes_per_op_schedule_and_run"] = Stats.N(full, 0),
                        ["bytes_per_op_caller_only"] = Stats.N(caller, 0),
                        ["bytes_per_batch_in_loop"] = Stats.N((full - caller) / 2, 0),
                        ["loop_thread_bytes_per_cycle"] = Stats.N(loopThread, 1),
                        ["caller_bytes_per_request"] = Stats.N(caller / (batch + 1), 0),
                    });
                    Log.Info($"micro probe: batch {batch}, output {outLen}: {full:F0} B/op scheduled, {caller:F0} B/op caller-only => {(full - caller) / 2:F0} B per batch in the loop; loop thread {loopThread:F1} B per cycle");
                }
                finally
                {
                    b.Cleanup();
                }
            }
        }

        return new JsonObject { ["ops"] = ops, ["rows"] = rows };
    }

    internal static int RunBenchmarkDotNet(string[] args, string artifacts)
    {
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator)
            .WithArtifactsPath(artifacts);
        var summary = BenchmarkRunner.Run<BatchLoopBenchmarks>(config, args);
        return summary.HasCriticalValidationErrors ? 1 : 0;
    }
}
