namespace Detector.Modules.Inference.Contracts;

/// <summary>
/// A detection the pipeline ran (served or failed after it was admitted), as rollouts judge
/// variants on it. <see cref="Image"/> is the request's buffer: valid only during the call.
/// </summary>
/// <param name="Outcome">null when it succeeded; else the problem code it failed with.</param>
/// <param name="Input">The photo as decoded (null when it failed before): what drift monitoring compares.</param>
public sealed record ObservedDetection(
    string Model,
    string Variant,
    string Version,
    DetectionPriority Priority,
    bool Degraded,
    string? Outcome,
    double TotalMs,
    IReadOnlyList<Detection> Detections,
    DetectionOptions Options,
    ReadOnlyMemory<byte> Image,
    Guid? TenantId,
    ObservedImage? Input = null);

/// <summary>The decoded photo's size (oriented) and mean brightness (0..255) as the model saw it.</summary>
public readonly record struct ObservedImage(int Width, int Height, double Brightness);

/// <summary>Told of every detection the pipeline ran, on the request's path: an implementation does little and never throws.</summary>
public interface IDetectionObserver
{
    /// <summary>Whether this observer reads <see cref="ObservedDetection.Input"/>: the pipeline reads the photo's brightness back from the tensor only when one does.</summary>
    bool WantsInput => false;

    void Observe(ObservedDetection detection);
}

/// <summary>How busy the interactive path is now, for work that must only use what it leaves.</summary>
public interface IInferenceLoad
{
    /// <summary>Interactive requests admitted and not yet answered, across every loaded version.</summary>
    int InteractiveInFlight { get; }
}
