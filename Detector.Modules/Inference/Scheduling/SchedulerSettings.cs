namespace Detector.Modules.Inference.Scheduling;

internal sealed record SchedulerSettings(int MaxBatchSize, TimeSpan MaxDelay, int QueueCapacity)
{
    /// <summary>Longest expected queue wait a new request is admitted into; zero admits up to QueueCapacity.</summary>
    public TimeSpan MaxQueueWait { get; init; }

    public static SchedulerSettings For(string model, InferenceOptions options)
    {
        options.PerModel.TryGetValue(model, out var o);
        return new SchedulerSettings(
            o?.MaxBatchSize ?? options.MaxBatchSize,
            TimeSpan.FromMilliseconds(o?.MaxBatchDelayMs ?? options.MaxBatchDelayMs),
            o?.QueueCapacity ?? options.QueueCapacity)
        {
            MaxQueueWait = TimeSpan.FromMilliseconds(o?.MaxQueueWaitMs ?? options.MaxQueueWaitMs),
        };
    }

    public static int SlotsFor(string model, InferenceOptions options) =>
        options.PerModel.TryGetValue(model, out var o) && o.ExecutorSlots is { } s ? s : options.ExecutorSlots;
}
