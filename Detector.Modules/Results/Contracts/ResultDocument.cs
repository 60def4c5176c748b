namespace Detector.Modules.Results.Contracts;

/// <summary>A stored detection result exactly as the API returns it (snake_case JSON).</summary>
public sealed record ResultDocument(
    Guid Id,
    DateTimeOffset CreatedAt,
    string Source,
    ModelReference Model,
    ImageReference Image,
    IReadOnlyList<DetectedObject> Detections,
    ResultTimings Timings);

public sealed record ModelReference(string Name, string Version);

public sealed record ImageReference(int Width, int Height, string Sha256, string Format);

/// <summary>Box is [x1, y1, x2, y2] in pixels of the oriented original image.</summary>
public sealed record DetectedObject(string Label, int ClassId, float Score, float[] Box);

public sealed record ResultTimings(double DecodeMs, double QueueMs, double InferenceMs, double PostprocessMs, double TotalMs, int BatchSize);

public sealed record ResultPage(IReadOnlyList<ResultDocument> Items, string? NextCursor);

/// <summary>Tenant-scoped result storage: every call names the tenant, and no call crosses tenants.</summary>
public interface IResultStore
{
    Task SaveAsync(Guid tenantId, ResultDocument result, CancellationToken cancellationToken);

    Task<ResultDocument?> GetAsync(Guid tenantId, Guid id, CancellationToken cancellationToken);

    /// <summary>The tenant's results among <paramref name="ids"/>, by id; ids of other tenants are simply absent.</summary>
    Task<IReadOnlyDictionary<Guid, ResultDocument>> GetManyAsync(Guid tenantId, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken);

    Task<ResultPage> ListAsync(Guid tenantId, int limit, string? cursor, CancellationToken cancellationToken);
}
