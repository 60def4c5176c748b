using Detector.Modules.Inference.Contracts;

namespace Detector.Modules.Results.Contracts;

/// <summary>A stored detection result exactly as the API returns it (snake_case JSON).</summary>
public sealed record ResultDocument(
    Guid Id,
    DateTimeOffset CreatedAt,
    string Source,
    ModelReference Model,
    ImageReference Image,
    IReadOnlyList<DetectedObject> Detections,
    ResultTimings Timings)
{
    /// <summary>The current shape of a stored result; additive changes only, within <c>/v1</c>.</summary>
    public const int CurrentSchemaVersion = 3;

    /// <summary>
    /// The shape this result was stored in: 1 for results stored before the field existed (read
    /// without it), <see cref="CurrentSchemaVersion"/> for new ones.
    /// </summary>
    public int SchemaVersion { get; init; } = 1;

    /// <summary>Null when the requested model served the request in full; else the degradation ladder's rung and the model asked for.</summary>
    public DegradationInfo? Degradation { get; init; }

    /// <summary><c>hit</c> when the detections came from the tenant's result cache (no decode, no inference); null otherwise.</summary>
    public string? Cache { get; init; }

    /// <summary>
    /// The stored form of one detection, shared by every path that stores one (sync API, jobs):
    /// scores to 4 decimals, boxes to 0.1 px, timings to 0.01 ms.
    /// </summary>
    public static ResultDocument From(Guid id, DateTimeOffset createdAt, string source, DetectionOutcome outcome, string sha256, ImageStorage storage)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(storage);
        var detections = new DetectedObject[outcome.Detections.Count];
        for (var i = 0; i < detections.Length; i++)
        {
            var d = outcome.Detections[i];
            detections[i] = new DetectedObject(d.Label, d.ClassId, MathF.Round(d.Score, 4), [Round(d.Box[0]), Round(d.Box[1]), Round(d.Box[2]), Round(d.Box[3])]);
        }

        var t = outcome.Timings;
        return new ResultDocument(
            id,
            createdAt,
            source,
            new ModelReference(outcome.ModelName, outcome.ModelVersion) { Variant = outcome.Variant },
            new ImageReference(outcome.ImageWidth, outcome.ImageHeight, sha256, outcome.ImageFormat) { Storage = storage.State, NotStoredReason = storage.Reason },
            detections,
            new ResultTimings(Round(t.DecodeMs), Round(t.QueueMs), Round(t.InferenceMs), Round(t.PostprocessMs), Round(t.TotalMs), t.BatchSize) { CoreMs = Round(t.CoreMs) })
        {
            SchemaVersion = CurrentSchemaVersion,
            Degradation = outcome.Degradation is { } rung ? new DegradationInfo(rung, outcome.RequestedModel ?? outcome.ModelName) : null,
            Cache = outcome.FromCache ? "hit" : null,
        };
    }

    private static float Round(float v) => MathF.Round(v, 1);

    private static double Round(double v) => Math.Round(v, 2);
}

/// <summary>The model and version that served, and the variant (since schema 3): the alias the request was routed or pinned to, or <c>pinned</c>.</summary>
public sealed record ModelReference(string Name, string Version)
{
    public string? Variant { get; init; }
}

/// <summary>A degraded answer: the ladder's rung (<c>lower_resolution</c>, <c>faster_model</c>) and the model the client asked for.</summary>
public sealed record DegradationInfo(string Rung, string RequestedModel);

public sealed record ImageReference(int Width, int Height, string Sha256, string Format)
{
    /// <summary>
    /// Whether the image is in the store: <c>stored</c>, <c>pending</c> (being written after the
    /// answer; the result says <c>stored</c> or <c>not_stored</c> soon after), or <c>not_stored</c>
    /// (see <see cref="NotStoredReason"/>). Null on results recorded before the service said so.
    /// </summary>
    public string? Storage { get; init; }

    /// <summary>Why a <c>not_stored</c> image is not: <c>plan</c>, <c>store_failed</c> or <c>interrupted</c>.</summary>
    public string? NotStoredReason { get; init; }
}

/// <summary>Where a result's image stands in the store (ADR 0016); see <see cref="ImageReference.Storage"/>.</summary>
public sealed record ImageStorage(string State, string? Reason = null)
{
    public const string StoredState = "stored";
    public const string PendingState = "pending";
    public const string NotStoredState = "not_stored";

    public static readonly ImageStorage Stored = new(StoredState);
    public static readonly ImageStorage Pending = new(PendingState);

    /// <summary>The tenant's plan keeps no images.</summary>
    public static readonly ImageStorage NotKeptByPlan = new(NotStoredState, "plan");

    /// <summary>The store refused or failed the put after the answer.</summary>
    public static readonly ImageStorage StoreFailed = new(NotStoredState, "store_failed");

    /// <summary>The instance writing it stopped before the put finished (killed, crashed, or out of time at shutdown).</summary>
    public static readonly ImageStorage Interrupted = new(NotStoredState, "interrupted");
}

/// <summary>Box is [x1, y1, x2, y2] in pixels of the oriented original image.</summary>
public sealed record DetectedObject(string Label, int ClassId, float Score, float[] Box)
{
    /// <summary>The version's calibrated score (a probability of being right), when the request asked for it (<c>calibrated=true</c>) and the version has a calibration; absent otherwise.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public float? CalibratedScore { get; init; }
}

public sealed record ResultTimings(double DecodeMs, double QueueMs, double InferenceMs, double PostprocessMs, double TotalMs, int BatchSize)
{
    /// <summary>Core-milliseconds the detection held (decode, its share of the batch run, postprocess): what its cost is reckoned on.</summary>
    public double CoreMs { get; init; }
}

public sealed record ResultPage(IReadOnlyList<ResultDocument> Items, string? NextCursor);

/// <summary>What one retention batch of results removed: their ids, and the images they were detected on.</summary>
public sealed record ResultsPurge(IReadOnlyList<Guid> ResultIds, IReadOnlyList<string> Images);

/// <summary>Tenant-scoped result storage: every call names the tenant, and no call crosses tenants.</summary>
public interface IResultStore
{
    /// <summary>Stores the tenant's result, with the key that created it (null: none, a job item).</summary>
    Task SaveAsync(Guid tenantId, ResultDocument result, Guid? createdByKey, CancellationToken cancellationToken);

    Task<ResultDocument?> GetAsync(Guid tenantId, Guid id, CancellationToken cancellationToken);

    /// <summary>
    /// The tenant's result, narrowed to those <paramref name="createdByKey"/> created when it is
    /// given (a browser key reads back only its own; ADR 0027); null when there is none.
    /// </summary>
    Task<ResultDocument?> GetAsync(Guid tenantId, Guid id, Guid? createdByKey, CancellationToken cancellationToken);

    /// <summary>The tenant's results among <paramref name="ids"/>, by id; ids of other tenants are simply absent.</summary>
    Task<IReadOnlyDictionary<Guid, ResultDocument>> GetManyAsync(Guid tenantId, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken);

    Task<ResultPage> ListAsync(Guid tenantId, int limit, string? cursor, CancellationToken cancellationToken);

    /// <summary>Deletes the tenant's result; false when the tenant has no such result.</summary>
    Task<bool> DeleteAsync(Guid tenantId, Guid id, CancellationToken cancellationToken);

    /// <summary>Whether any result of the tenant was detected on the image <paramref name="sha256"/>.</summary>
    Task<bool> ReferencesImageAsync(Guid tenantId, string sha256, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes up to <paramref name="limit"/> of the tenant's results created before
    /// <paramref name="cutoff"/> (retention), oldest first; returns their ids and the images they were detected on.
    /// </summary>
    Task<ResultsPurge> PurgeAsync(Guid tenantId, DateTimeOffset cutoff, int limit, CancellationToken cancellationToken);

    /// <summary>Every tenant that has a result here (the orphan sweep compares them with the tenant directory).</summary>
    Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken cancellationToken);

    /// <summary>Deletes every result of the tenant (a tenant erase); returns how many.</summary>
    Task<long> EraseTenantAsync(Guid tenantId, CancellationToken cancellationToken);

    /// <summary>Whether the tenant still has a result detected on the image <paramref name="sha256"/>, whether or not the image was kept.</summary>
    Task<bool> HasResultOnImageAsync(Guid tenantId, string sha256, CancellationToken cancellationToken);
}

/// <summary>
/// Told, on the instance that deleted them, when results are deleted (one, by retention, or a
/// whole tenant), after the delete committed: whatever was derived from them on this instance
/// (a result cache) is dropped at once. Other instances learn it by asking the store.
/// </summary>
public interface IResultDeletionListener
{
    /// <summary>
    /// The tenant's results <paramref name="resultIds"/>, detected on <paramref name="images"/>, are
    /// gone (others of the tenant may still hold the same images).
    /// </summary>
    void ResultsDeleted(Guid tenantId, IReadOnlyCollection<Guid> resultIds, IReadOnlyCollection<string> images);

    /// <summary>Every result of the tenant is gone.</summary>
    void TenantErased(Guid tenantId);
}
