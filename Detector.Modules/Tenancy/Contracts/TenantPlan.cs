namespace Detector.Modules.Tenancy.Contracts;

/// <summary>What a tenant has bought: rate, concurrency and volume limits, and how its data is handled.</summary>
public sealed record TenantPlan(
    string Name,
    double RequestsPerSecond,
    int Burst,
    int MaxInFlight,
    long DailyImages,
    long MonthlyImages,
    long MaxImageBytes,
    int MaxImagesPerJob,
    IReadOnlyList<string> AllowedPriorities,
    int RetentionDays,
    bool StoreImages,
    string Region)
{
    /// <summary>What the tenant's requests that name no model get: a model, <c>name@version</c> or <c>name@alias</c>; null: the service's default.</summary>
    public string? DefaultModel { get; init; }

    /// <summary>The rate of the tenant's browser keys, a bucket of its own beside <see cref="RequestsPerSecond"/> (ADR 0027).</summary>
    public double BrowserRequestsPerSecond { get; init; } = 1;

    public int BrowserBurst { get; init; } = 1;
}

/// <summary>A tenant as other modules see it.</summary>
public sealed record TenantInfo(Guid Id, string Name, bool Disabled, TenantPlan Plan);

/// <summary>
/// Tenants by id, cached on each instance and refreshed everywhere within moments of a change
/// (plans, disabling). Unknown ids answer null.
/// </summary>
public interface ITenantDirectory
{
    ValueTask<TenantInfo?> FindAsync(Guid tenantId, CancellationToken cancellationToken);
}

/// <summary>What a tenant's plan leaves of its image quotas, and when each period resets.</summary>
public sealed record QuotaUsage(long DayUsed, long DayLimit, DateTimeOffset DayResetsAt, long MonthUsed, long MonthLimit, DateTimeOffset MonthResetsAt);

/// <summary>Images counted against a tenant's quotas; give it back to refund them.</summary>
public sealed record QuotaReceipt(Guid TenantId, long Images, DateOnly Day, DateOnly Month);

/// <summary>
/// The daily and monthly image quotas, counted atomically in PostgreSQL for the whole cluster:
/// an image is counted once when it is accepted (a sync detection, or a job item at submission).
/// </summary>
public interface IUsageMeter
{
    /// <summary>
    /// Counts <paramref name="images"/> against both periods of the tenant's <paramref name="plan"/>
    /// (which every caller has already looked up), or throws 429 quota_exceeded with the reset time
    /// and counts nothing.
    /// </summary>
    Task<QuotaReceipt> ConsumeAsync(Guid tenantId, TenantPlan plan, int images, CancellationToken cancellationToken);

    /// <summary>Gives back what a receipt counted (the work was refused after all).</summary>
    Task RefundAsync(QuotaReceipt receipt, CancellationToken cancellationToken);

    Task<QuotaUsage> GetAsync(Guid tenantId, TenantPlan plan, CancellationToken cancellationToken);
}

/// <summary>What erasing a tenant removed from Tenancy's tables, by kind.</summary>
public sealed record TenancyErasure(long Tenants, long Plans, long ApiKeys, long Usage, long RateBuckets, long IdempotencyRecords);

/// <summary>Tenants as a whole, for erasure and retention (the Compliance module).</summary>
public interface ITenantLifecycle
{
    /// <summary>Every tenant (disabled ones too) with its effective plan, by id after <paramref name="after"/>.</summary>
    Task<IReadOnlyList<TenantInfo>> ListAsync(Guid? after, int limit, CancellationToken cancellationToken);

    /// <summary>Every tenant with usage, a rate bucket or idempotency records in this region's database.</summary>
    Task<IReadOnlyList<Guid>> RegionalTenantIdsAsync(CancellationToken cancellationToken);

    /// <summary>Disables the tenant on every instance (its keys stop working); false when there is no such tenant.</summary>
    Task<bool> DisableAsync(Guid tenantId, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the tenant and everything Tenancy holds of it (plan, keys, usage, rate bucket,
    /// idempotency records) and tells every instance to drop what it cached of it.
    /// </summary>
    Task<TenancyErasure> EraseAsync(Guid tenantId, CancellationToken cancellationToken);
}

/// <summary>
/// Tenancy's change feed as other modules hear it: raised on this instance once a committed change
/// of a tenant (disabling, erasing, a new plan, a key change) is heard from any instance, or with
/// null when changes may have been missed (every tenant may have changed). For state a module
/// caches per tenant (an image data key).
/// </summary>
public interface ITenantChanges
{
    event Action<Guid?>? Changed;
}
