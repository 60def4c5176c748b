namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// Where faults can be injected into the batch loop: chaos tests throw from a model run and hold
/// an executor in recovery to watch readiness; the service registers <see cref="NoInferenceFaults"/>.
/// </summary>
internal interface IInferenceFaults
{
    /// <summary>Called before every model run; throwing fails that run as the runtime would.</summary>
    void BeforeRun(string model, int batchSize);

    /// <summary>Called before a failed executor's session is recreated; may block.</summary>
    void BeforeRecover(string model);
}

internal sealed class NoInferenceFaults : IInferenceFaults
{
    public static readonly NoInferenceFaults Instance = new();

    public void BeforeRun(string model, int batchSize)
    {
    }

    public void BeforeRecover(string model)
    {
    }
}
