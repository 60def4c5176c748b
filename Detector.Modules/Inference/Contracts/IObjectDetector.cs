using Detector.Modules.Common;

namespace Detector.Modules.Inference.Contracts;

public sealed record DetectionOptions
{
    public float MinScore { get; init; } = 0.25f;

    public float Iou { get; init; } = 0.45f;

    public int MaxDetections { get; init; } = 100;

    /// <summary>Client-supplied values over the serving defaults, which live only here.</summary>
    public static DetectionOptions From(float? minScore, float? iou, int? maxDetections)
    {
        var defaults = new DetectionOptions();
        return new DetectionOptions
        {
            MinScore = minScore ?? defaults.MinScore,
            Iou = iou ?? defaults.Iou,
            MaxDetections = maxDetections ?? defaults.MaxDetections,
        };
    }
}

/// <summary>Scheduling class: sync callers wait on the answer and go first; async work fills the gaps.</summary>
public enum DetectionPriority
{
    Interactive = 0,
    Background = 1,
}

public sealed record DetectionRequest
{
    public required ReadOnlyMemory<byte> Image { get; init; }

    /// <summary>Model name; null means the catalog's default.</summary>
    public string? Model { get; init; }

    public DetectionOptions Options { get; init; } = new();

    public DetectionPriority Priority { get; init; } = DetectionPriority.Interactive;

    /// <summary>Absolute deadline; requests still queued past it are dropped before inference.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Whose request this is: the scheduler serves tenants in turns.</summary>
    public Guid? TenantId { get; init; }

    /// <summary>Who the request is for when traffic is split between variants (the client's <c>X-Subject-Id</c>); null: the tenant.</summary>
    public string? Subject { get; init; }

    /// <summary>An off-path comparison run (a shadow, or production beside a canary): not observed as traffic.</summary>
    public bool OffPath { get; init; }

    /// <summary>The tenant's interactive requests allowed in the pipeline at once (0: no limit); more get 429 concurrency_limited.</summary>
    public int MaxInFlight { get; init; }

    /// <summary>
    /// The place <see cref="IObjectDetector.AdmitEarly"/> reserved before the body was read: the
    /// detection uses it instead of asking admission again, so a client told to send its body
    /// (100 Continue) is never refused afterwards. Its deadline still holds in the queue.
    /// </summary>
    public AdmissionTicket? Ticket { get; init; }

    /// <summary>Whether the degradation ladder may serve a sync request with a cheaper stand-in (the client's `allow_degradation`).</summary>
    public bool AllowDegradation { get; init; } = true;

    /// <summary>
    /// When set, the outcome also carries the candidates scoring above it, before NMS
    /// (<see cref="DetectionOutcome.Candidates"/>), if the requested model served in full.
    /// </summary>
    public float? KeepCandidatesAbove { get; init; }
}

/// <summary>A place reserved in a model's queue before the upload is read; dispose to give it back (once, however often called).</summary>
public sealed class AdmissionTicket(string model, Action release) : IDisposable
{
    private Action? _release = release;

    /// <summary>The model the place is in (the one that will serve the request).</summary>
    public string Model { get; } = model;

    /// <summary>The model the client asked for; differs from <see cref="Model"/> when the degradation ladder stepped down.</summary>
    public string RequestedModel { get; init; } = model;

    /// <summary>The ladder's rung (<see cref="DegradationRungs"/>); null for the full model.</summary>
    public string? Rung { get; init; }

    /// <summary>The variant (alias) the request was routed to, or <see cref="DetectionOutcome.PinnedVariant"/>.</summary>
    public string Variant { get; init; } = "production";

    /// <summary>Admission's expected completion when the place was reserved (its estimate is corrected against what happens).</summary>
    internal double PredictedSeconds { get; init; }

    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}

/// <summary>One detected object. Box is [x1, y1, x2, y2] in pixels of the oriented original image.</summary>
public sealed record Detection(string Label, int ClassId, float Score, float[] Box);

public sealed record DetectionTimings(double DecodeMs, double QueueMs, double InferenceMs, double PostprocessMs, double TotalMs, int BatchSize)
{
    /// <summary>
    /// Core-milliseconds the request held: its decode and postprocess (one core each) and its share
    /// of the batch run (the run's time x the cores it held / the images in it). The basis of the
    /// request's cost; 0 for an answer from the result cache.
    /// </summary>
    public double CoreMs { get; init; }
}

public sealed record DetectionOutcome(
    string ModelName,
    string ModelVersion,
    int ImageWidth,
    int ImageHeight,
    string ImageFormat,
    IReadOnlyList<Detection> Detections,
    DetectionTimings Timings)
{
    /// <summary>The degradation ladder's rung that served the request (<see cref="DegradationRungs"/>); null: the requested model, in full.</summary>
    public string? Degradation { get; init; }

    /// <summary>The model the request named (or the default); <see cref="ModelName"/> is the one that served it.</summary>
    public string? RequestedModel { get; init; }

    /// <summary>The candidates before NMS when the request asked for them (<see cref="DetectionRequest.KeepCandidatesAbove"/>) and was served in full.</summary>
    public CandidateSnapshot? Candidates { get; init; }

    /// <summary>True when the detections were re-thresholded from kept candidates, without decoding or inference.</summary>
    public bool FromCache { get; init; }

    /// <summary>
    /// The variant that served: the alias an unpinned request was routed to (<c>production</c>,
    /// <c>canary</c>, an A/B variant) or a pinned alias, or <see cref="PinnedVariant"/> for a
    /// request pinned to a version.
    /// </summary>
    public string Variant { get; init; } = "production";

    public const string PinnedVariant = "pinned";
}

/// <summary>What a request for a model would be served by in full: the model, its version, and its preprocessing, as one key.</summary>
public sealed record ServingIdentity(string Model, string Version, string Preprocessing)
{
    /// <summary>The variant the request is routed to: not part of the identity (the version is), so equality leaves it out.</summary>
    public string Variant { get; init; } = "production";

    public bool Equals(ServingIdentity? other) =>
        other is not null && Model == other.Model && Version == other.Version && Preprocessing == other.Preprocessing;

    public override int GetHashCode() => HashCode.Combine(Model, Version, Preprocessing);
}

/// <summary>The degradation ladder's rungs as answers name them (header <c>X-Degradation</c>, field <c>degradation.rung</c>, metrics).</summary>
public static class DegradationRungs
{
    public const string Full = "full";
    public const string Compressed = "compressed";
    public const string LowerResolution = "lower_resolution";
    public const string FasterModel = "faster_model";
}

/// <summary>
/// The whole detection pipeline behind one call: decode, orient, resize, batch, infer, decode the
/// head, NMS, map boxes back. The HTTP API, async jobs and the evaluation command all use this,
/// so there is exactly one copy of the pipeline.
/// </summary>
public interface IObjectDetector
{
    Task<DetectionOutcome> DetectAsync(DetectionRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Admission before the upload is read: reserves a place for a new interactive request of the
    /// tenant and returns it, or returns null with the cheap refusal (503 overloaded with
    /// Retry-After, or 429 concurrency_limited; counted in the metrics) to answer, not throw: a
    /// refusal storm must not unwind a stack per refusal. Unknown or loading models return null
    /// without a refusal (the detect call itself reports those).
    /// </summary>
    /// <param name="deadline">The request's own deadline (X-Deadline-Ms); null: the default sync budget.</param>
    /// <param name="allowDegradation">false: the requested model only, never a stand-in of the ladder.</param>
    /// <param name="subject">Who the request is for when traffic is split between variants (null: the tenant).</param>
    AdmissionTicket? AdmitEarly(string? model, Guid tenantId, string? subject, int maxInFlight, DateTimeOffset? deadline, bool allowDegradation, out DomainException? refusal);

    /// <summary>
    /// The model, version and preprocessing that would serve <paramref name="model"/> (null: the
    /// default) in full for <paramref name="subject"/> or else <paramref name="tenantId"/> (the
    /// variant it is routed to); null when it is unknown or not loaded.
    /// </summary>
    ServingIdentity? Identify(string? model, string? subject = null, Guid? tenantId = null);

    /// <summary>
    /// Detections from candidates kept by an earlier detection of <paramref name="served"/>, equal
    /// to a fresh run's at <paramref name="options"/> (whose min_score is at least the snapshot's
    /// floor); null when that version no longer serves.
    /// </summary>
    IReadOnlyList<Detection>? Rethreshold(ServingIdentity served, CandidateSnapshot candidates, DetectionOptions options);
}

/// <summary>Whether every configured model is loaded and warmed; drives /health/ready.</summary>
public interface IInferenceReadiness
{
    bool IsReady { get; }

    /// <summary>The execution provider the sessions run on (CPU, CUDA, TensorRT).</summary>
    string Provider { get; }

    /// <summary>Completes when every model is loaded and warmed; faults if loading failed.</summary>
    Task WhenReady { get; }

    /// <summary>Each loaded model's executor slots and how many of them are being recovered after a failed run.</summary>
    IReadOnlyList<ExecutorHealth> Executors { get; }
}

/// <summary>A model's executor slots: all of them recovering means the model serves nothing until one is back.</summary>
public sealed record ExecutorHealth(string Model, int Executors, int Recovering);
