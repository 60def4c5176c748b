namespace Detector.Modules.Tenancy.Contracts;

/// <summary>
/// What requests cost: the core-seconds a request held times the configured price per
/// core-second (Tenancy:Cost), counted per tenant (its opaque metric id) and model version in
/// /metrics, and reckoned from the stored results in /v1/usage.
/// </summary>
public interface IRequestCost
{
    double PricePerCoreSecond { get; }

    string Currency { get; }

    /// <summary>Counts one served request's core-seconds (and their cost) for the tenant and version.</summary>
    void Record(Guid tenantId, string model, string version, double coreSeconds);
}

/// <summary>A tenant's served requests of one model version in a period, and the core-seconds they held.</summary>
public sealed record VersionCompute(string Model, string Version, long Requests, double CoreSeconds);

/// <summary>Where /v1/usage reads a tenant's compute from (the Results module, whose stored results carry each request's core-seconds).</summary>
public interface IUsageComputeSource
{
    Task<IReadOnlyList<VersionCompute>> ComputeAsync(Guid tenantId, DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken);
}
