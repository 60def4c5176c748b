namespace Detector.Modules.Inference.Scheduling;

internal sealed record SchedulerSettings(int MaxBatchSize, TimeSpan MaxDelay, int QueueCapacity)
{
    public static SchedulerSettings For(string model, InferenceOptions options)
    {
        options.PerModel.TryGetValue(model, out var o);
        return new SchedulerSettings(
            o?.MaxBatchSize ?? options.MaxBatchSize,
            TimeSpan.FromMilliseconds(o?.MaxBatchDelayMs ?? options.MaxBatchDelayMs),
            o?.QueueCapacity ?? options.QueueCapacity);
    }

    public static int SlotsFor(string model, InferenceOptions options) =>
        options.PerModel.TryGetValue(model, out var o) && o.ExecutorSlots is { } s ? s : options.ExecutorSlots;
}
