using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Scheduling;
using Microsoft.Extensions.Logging.Abstractions;

namespace Detector.Tests.Unit.Inference;

/// <summary>
/// Behaviour shared by all fake executor slots of one scheduler. The first input value tags a
/// request: <see cref="BlockMarker"/> parks its batch in Run until <see cref="Unblock"/>, so a test
/// can hold an executor busy without timing; <see cref="FailMarker"/> makes its batch throw.
/// </summary>
internal sealed class FakeRuntime
{
    public const int Length = 4;
    public const float BlockMarker = -1f;
    public const float FailMarker = -2f;

    private readonly ManualResetEventSlim _unblocked = new(false);
    private readonly SemaphoreSlim _blocked = new(0);
    private int _threadsRunning;
    private int _maxThreadsRunning;

    /// <summary>Batches larger than this throw the runtime's out-of-memory error.</summary>
    public int OutOfMemoryAbove { get; set; } = int.MaxValue;

    /// <summary>The most runtime threads (executor Threads) inside Run at once.</summary>
    public int MaxThreadsRunning => Volatile.Read(ref _maxThreadsRunning);

    /// <summary>Every batch Run saw, in the order the runs started; each entry holds one input per slot.</summary>
    public ConcurrentQueue<float[][]> Batches { get; } = new();

    public static float[] Output(ReadOnlySpan<float> input)
    {
        var output = new float[Length];
        for (var i = 0; i < Length; i++)
        {
            output[i] = input[i] + 1;
        }

        return output;
    }

    public static float[] Input(float tag) => [tag, tag, tag, tag];

    /// <summary>Resolves once a batch holding a blocker is parked inside Run.</summary>
    public Task WaitUntilBlockedAsync() => _blocked.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(
        t => Assert.True(t.Result, "No blocked batch reached the executor."), TaskScheduler.Default);

    public void Unblock() => _unblocked.Set();

    public bool Saw(float tag) => Batches.Any(b => b.Any(i => i[0] == tag));

    internal void OnRun(float[][] batch, int threads)
    {
        var running = Interlocked.Add(ref _threadsRunning, threads);
        int max;
        while (running > (max = Volatile.Read(ref _maxThreadsRunning)) && Interlocked.CompareExchange(ref _maxThreadsRunning, running, max) != max)
        {
        }

        try
        {
            Thread.Sleep(1); // long enough for runs on other threads to overlap if the loop lets them
            Run(batch);
        }
        finally
        {
            Interlocked.Add(ref _threadsRunning, -threads);
        }
    }

    private void Run(float[][] batch)
    {
        Batches.Enqueue(batch);
        if (batch.Length > OutOfMemoryAbove)
        {
            throw new InvalidOperationException("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : CUDA failure 2: out of memory");
        }

        if (batch.Any(i => i[0] == FailMarker))
        {
            throw new InvalidOperationException("The fake model failed.");
        }

        if (batch.Any(i => i[0] == BlockMarker))
        {
            _blocked.Release();

            // A hang guard only: a test that forgets to unblock fails instead of hanging the run.
            if (!_unblocked.Wait(TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException("The test never unblocked the executor.");
            }
        }
    }
}

/// <summary>One executor slot: output = input + 1, so every request's result is checkable.</summary>
internal sealed class FakeBatchExecutor(FakeRuntime runtime, int maxBatch, int threads = 1) : IBatchExecutor
{
    private int _runs;
    private int _recoveries;

    private readonly float[] _input = new float[FakeRuntime.Length * maxBatch];
    private readonly float[] _output = new float[FakeRuntime.Length * maxBatch];

    public int MaxBatch => maxBatch;

    public int Threads => threads;

    public int Runs => Volatile.Read(ref _runs);

    public int Recoveries => Volatile.Read(ref _recoveries);

    public int InputLength => FakeRuntime.Length;

    public int OutputLength => FakeRuntime.Length;

    public Span<float> InputSlot(int index) => _input.AsSpan(index * FakeRuntime.Length, FakeRuntime.Length);

    public void Run(int batchSize)
    {
        var batch = new float[batchSize][];
        for (var i = 0; i < batchSize; i++)
        {
            batch[i] = InputSlot(i).ToArray();
        }

        Interlocked.Increment(ref _runs);
        runtime.OnRun(batch, threads);
        for (var i = 0; i < batchSize; i++)
        {
            FakeRuntime.Output(InputSlot(i)).CopyTo(_output.AsSpan(i * FakeRuntime.Length));
        }
    }

    public void CopyOutput(int index, Span<float> destination) =>
        _output.AsSpan(index * FakeRuntime.Length, FakeRuntime.Length).CopyTo(destination);

    public void Recover() => Interlocked.Increment(ref _recoveries);
}

/// <summary>A scheduler over fake executors; disposal unblocks the executors first so the loops can stop.</summary>
internal sealed class SchedulerHarness : IAsyncDisposable
{
    private SchedulerHarness(FakeRuntime runtime, BatchScheduler scheduler)
    {
        Runtime = runtime;
        Scheduler = scheduler;
    }

    public FakeRuntime Runtime { get; }

    public BatchScheduler Scheduler { get; }

    public static SchedulerHarness Create(int executors, int maxBatch, TimeSpan maxDelay, int queueCapacity = 1024, [CallerMemberName] string test = "")
    {
        var runtime = new FakeRuntime();
        var slots = Enumerable.Range(0, executors).Select(_ => (IBatchExecutor)new FakeBatchExecutor(runtime, maxBatch)).ToList();

        // Metric children are static per label set: a model name per test keeps tests apart.
        var model = $"test-{test}-{Guid.NewGuid():N}";
        var scheduler = new BatchScheduler(model, slots, new SchedulerSettings(maxBatch, maxDelay, queueCapacity), new SchedulerMetrics(model, "v1"), NullLogger.Instance);
        return new SchedulerHarness(runtime, scheduler);
    }

    public static WorkItem Item(float tag, DetectionPriority priority = DetectionPriority.Interactive) =>
        new(FakeRuntime.Input(tag), priority, long.MaxValue);

    public Task<BatchInfo> Enqueue(WorkItem item, CancellationToken cancellationToken = default) =>
        Scheduler.EnqueueAsync(item, cancellationToken);

    /// <summary>Occupies one executor with a parked batch; completes once that batch is inside Run.</summary>
    public async Task<Task<BatchInfo>> BlockOneExecutorAsync()
    {
        var blocker = Enqueue(Item(FakeRuntime.BlockMarker));
        await Runtime.WaitUntilBlockedAsync();
        return blocker;
    }

    public async ValueTask DisposeAsync()
    {
        Runtime.Unblock();
        await Scheduler.DisposeAsync();
    }
}
