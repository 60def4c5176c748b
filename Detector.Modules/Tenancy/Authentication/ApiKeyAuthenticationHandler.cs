using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Tenancy.Keys;
using Detector.Modules.Tenancy.Tenants;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Tenancy.Authentication;

/// <summary>
/// X-Api-Key authentication for tenants and admins. The admin key comes from configuration;
/// tenant keys are looked up by their keyed hash and the verdict is cached on this instance
/// until the tenant changes (a notification from any instance drops it). Unknown keys are
/// cached too (a bounded number), so repeating one costs nothing, and <see cref="KeyGuard"/>
/// keeps a flood of new ones away from the database.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IAdminVerifier admin,
    KeyHasher hasher,
    KeyStore keys,
    TenancyCache cache,
    KeyGuard guard,
    KeyUsageTracker usage,
    TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    private const string RefusalItem = "detector.auth.refusal";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(TenantClaims.ApiKeyHeader, out var values) || string.IsNullOrWhiteSpace(values.ToString()))
        {
            return AuthenticateResult.NoResult();
        }

        var key = values.ToString().Trim();
        if (key.Length > 256 || values.Count > 1)
        {
            return Refuse("malformed", "Malformed API key.");
        }

        if (admin.IsAdminKey(key))
        {
            return Success(new Claim(ClaimTypes.Role, TenantClaims.AdminRole), new Claim(ClaimTypes.Name, "admin"));
        }

        var hash = hasher.Hash(key);
        var cacheKey = (nameof(StoredKey), Convert.ToHexString(hash));
        if (cache.TryGet(cacheKey, out StoredKey? known))
        {
            return Verdict(known!);
        }

        var unknownKey = ("unknown", cacheKey.Item2);
        if (cache.TryGet(unknownKey, out bool _))
        {
            return Refuse("unknown_key", "Unknown API key.");
        }

        var address = Context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (!guard.MayLookUp(address))
        {
            Context.Items[RefusalItem] = new ProblemException(429, ErrorCodes.RateLimited, "Too many unknown keys", "This address sent too many unknown API keys; slow down.") { RetryAfterSeconds = 1 };
            return Refuse("address_throttled", "Too many unknown keys from this address.");
        }

        if (!await guard.EnterLookupAsync(Context.RequestAborted))
        {
            Context.Items[RefusalItem] = new ProblemException(503, ErrorCodes.Overloaded, "Busy", "Too many key checks are running; retry shortly.") { RetryAfterSeconds = 1 };
            return Refuse("lookup_busy", "Key checks are saturated.");
        }

        StoredKey? stored;
        var epoch = cache.Epoch;
        try
        {
            TenancyMetrics.KeyLookups.Inc();
            stored = await keys.LookupAsync(hash, KeyHasher.LegacyHash(key), Context.RequestAborted);
        }
        finally
        {
            guard.ExitLookup();
        }

        if (stored is null || !CryptographicOperations.FixedTimeEquals(stored.StoredHash, stored.HashKind == "hmac" ? hash : KeyHasher.LegacyHash(key)))
        {
            guard.RecordFailure(address);
            cache.SetUnknown(unknownKey);
            return Refuse("unknown_key", "Unknown API key.");
        }

        if (stored.HashKind != "hmac")
        {
            await keys.UpgradeHashAsync(stored.KeyId, hash, Context.RequestAborted);
        }

        // An active key is trusted at most until its rotation grace ends.
        TimeSpan? maxAge = stored.ExpiresAt is { } expires ? new DateTimeOffset(expires, TimeSpan.Zero) - time.GetUtcNow() : null;
        cache.SetForTenant(cacheKey, stored, stored.TenantId, epoch, maxAge);
        return Verdict(stored);
    }

    private AuthenticateResult Verdict(StoredKey stored)
    {
        if (!stored.Active || (stored.ExpiresAt is { } expires && new DateTimeOffset(expires, TimeSpan.Zero) <= time.GetUtcNow()))
        {
            return Refuse("inactive_key", "This API key is revoked, expired, or its tenant is disabled.");
        }

        usage.Record(stored.KeyId);
        return Success(
            new Claim(TenantClaims.TenantIdClaim, stored.TenantId.ToString()),
            new Claim(TenantClaims.KeyIdClaim, stored.KeyId.ToString()),
            new Claim(ClaimTypes.Name, "tenant:" + stored.TenantId));
    }

    private static AuthenticateResult Refuse(string reason, string message)
    {
        TenancyMetrics.AuthFailures.WithLabels(reason).Inc();
        return AuthenticateResult.Fail(message);
    }

    private static AuthenticateResult Success(params Claim[] claims) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        ProblemWriter.WriteAsync(Context, Context.Items[RefusalItem] as ProblemException
            ?? new ProblemException(401, ErrorCodes.Unauthorized, "Unauthorized", $"Send a valid API key in the {TenantClaims.ApiKeyHeader} header."));

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ProblemWriter.WriteAsync(Context, new ProblemException(403, ErrorCodes.Forbidden, "Forbidden", "This key may not use this endpoint."));
}
