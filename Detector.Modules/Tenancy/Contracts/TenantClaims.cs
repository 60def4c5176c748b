using System.Security.Claims;
using Detector.Modules.Common;

namespace Detector.Modules.Tenancy.Contracts;

/// <summary>How other modules learn who is calling. Authorization policies and claim names live here.</summary>
public static class TenantClaims
{
    public const string TenantIdClaim = "detector:tenant_id";
    public const string KeyIdClaim = "detector:key_id";

    /// <summary>The kind of the key that authenticated: <see cref="SecretKey"/> or <see cref="BrowserKey"/>.</summary>
    public const string KeyKindClaim = "detector:key_kind";
    public const string SecretKey = "secret";
    public const string BrowserKey = "browser";

    /// <summary>The rate-limiting policy tenant endpoints opt into with RequireRateLimiting.</summary>
    public const string RateLimitPolicy = "tenant";
    public const string AdminRole = "admin";
    public const string TenantPolicy = "tenant";
    public const string AdminPolicy = "admin";
    public const string ApiKeyHeader = "X-Api-Key";

    /// <summary>The caller's tenant; only endpoints under the tenant policy may ask.</summary>
    public static Guid GetTenantId(this ClaimsPrincipal user)
    {
        var value = user.FindFirstValue(TenantIdClaim);
        return Guid.TryParse(value, out var id)
            ? id
            : throw new DomainException(OutcomeKind.Unauthenticated, ErrorCodes.Unauthorized, "Unauthorized", "A tenant API key is required.");
    }

    public static Guid? TryGetTenantId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(TenantIdClaim), out var id) ? id : null;

    /// <summary>
    /// The key id when the caller authenticated with a browser key, else null: a browser key reads
    /// back only what it created, so its reads are narrowed to this id.
    /// </summary>
    public static Guid? BrowserKeyId(this ClaimsPrincipal user) =>
        user.IsBrowserKey() && Guid.TryParse(user.FindFirstValue(KeyIdClaim), out var id) ? id : null;

    /// <summary>Whether the caller authenticated with a browser key: one claim check, for callers that need no id.</summary>
    public static bool IsBrowserKey(this ClaimsPrincipal user) => user.HasClaim(KeyKindClaim, BrowserKey);

    /// <summary>The id of the tenant key that authenticated (either kind), or null for admin and anonymous callers.</summary>
    public static Guid? TryGetKeyId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(KeyIdClaim), out var id) ? id : null;

    /// <summary>Who an admin action is recorded as (the registry's history, the audit log): the admin identity's name.</summary>
    public static string AdminActor(this ClaimsPrincipal user) => user.Identity?.Name ?? "admin";
}

/// <summary>Checks a presented secret against the admin API key, in constant time, for modules with their own front doors (the Hangfire dashboard).</summary>
public interface IAdminVerifier
{
    bool IsAdminKey(string presented);
}
