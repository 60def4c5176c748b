using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Tenancy.Keys;
using Detector.Modules.Tenancy.Tenants;

namespace Detector.Modules.Tenancy.Admin;

/// <summary>A key as listed: never the key itself, only its first characters.</summary>
internal sealed record KeyView(Guid Id, string? Name, string Prefix, string Status, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt)
{
    /// <summary><c>secret</c> or <c>browser</c>.</summary>
    public string Kind { get; init; } = TenantClaims.SecretKey;

    public static KeyView From(KeyRow k, DateTimeOffset now) => new(
        k.Id,
        k.Name,
        k.Prefix,
        k.RevokedAt is not null ? "revoked" : k.ExpiresAt is { } e && Utc(e) <= now ? "expired" : k.ExpiresAt is not null ? "expiring" : "active",
        Utc(k.CreatedAt),
        k.LastUsedAt is { } u ? Utc(u) : null,
        k.ExpiresAt is { } x ? Utc(x) : null,
        k.RevokedAt is { } r ? Utc(r) : null)
    {
        Kind = k.Kind,
    };

    public static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
}

/// <summary>A new key: the only time the key itself is shown.</summary>
internal sealed record NewKeyView(Guid Id, string? Name, string Prefix, string ApiKey, DateTimeOffset CreatedAt)
{
    public string Kind { get; init; } = TenantClaims.SecretKey;

    /// <summary>A key just made (created or rotated), shown once, with the kind its row has.</summary>
    public static NewKeyView From(KeyRow row, string key) => new(row.Id, row.Name, row.Prefix, key, KeyView.Utc(row.CreatedAt)) { Kind = row.Kind };
}

/// <param name="MetricsId">The opaque label of the tenant's series in /metrics (<see cref="TenantMetricIds"/>).</param>
internal sealed record TenantView(Guid Id, string Name, string Status, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt, TenantPlan Plan, IReadOnlyList<KeyView>? Keys, string MetricsId)
{
    /// <summary>The origins the tenant's browser keys may call from (ADR 0027).</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];
}

/// <summary>Tenants as the admin API shows them.</summary>
internal sealed class TenantViews(TenantStore tenants, KeyStore keys, Plans plans, TenantMetricIds metricIds, TimeProvider time)
{
    /// <summary>The tenant with its effective plan and keys, or null when it does not exist.</summary>
    public async Task<TenantView?> LoadAsync(Guid tenantId, CancellationToken ct)
    {
        if (await tenants.GetAsync(tenantId, ct) is not { } found)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var keyRows = await keys.ListAsync(tenantId, ct);
        var t = found.Tenant;
        return new TenantView(
            t.Id,
            t.Name,
            t.DisabledAt is null ? "active" : "disabled",
            KeyView.Utc(t.CreatedAt),
            t.DisabledAt is { } d ? KeyView.Utc(d) : null,
            found.Plan ?? plans.Default,
            keyRows.Select(k => KeyView.From(k, now)).ToList(),
            metricIds.For(t.Id))
        {
            AllowedOrigins = t.AllowedOrigins,
        };
    }
}

/// <summary>The refusals the admin use cases share.</summary>
internal static class AdminProblems
{
    public static DomainException TenantNotFound(Guid id) => new(OutcomeKind.NotFound, ErrorCodes.NotFound, "Tenant not found", $"No tenant {id}.");
}
