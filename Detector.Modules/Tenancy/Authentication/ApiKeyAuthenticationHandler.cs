using System.Text;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Tenancy.Keys;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Tenancy.Authentication;

/// <summary>
/// X-Api-Key authentication for tenants and admins. The admin key comes from configuration;
/// tenant keys are looked up by their keyed hash and the verdict is cached on this instance
/// until the tenant changes (<see cref="TenantKeyLookup"/>). Unknown keys are cached too, so
/// repeating one costs nothing, and <see cref="KeyGuard"/> keeps a flood of new ones away from
/// the database.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IAdminVerifier admin,
    KeyGuard guard,
    TenantKeyLookup tenantKeys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    private const string RefusalItem = "detector.auth.refusal";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Request.Headers.TryGetValue(TenantClaims.ApiKeyHeader, out var values) && !string.IsNullOrWhiteSpace(values.ToString()))
        {
            var key = values.ToString().Trim();
            return key.Length > 256 || values.Count > 1 ? Refuse("malformed", "Malformed API key.") : await AuthenticateKeyAsync(key);
        }

        // HTTP basic auth (user "admin", the admin key as password) is how a browser logs in to
        // the Hangfire dashboard; it is guessed like any key, so it goes through the same throttle.
        return BasicCredentials(Request.Headers.Authorization.ToString()) is { } basic ? AuthenticateBasic(basic.User, basic.Password) : AuthenticateResult.NoResult();
    }

    private AuthenticateResult AuthenticateBasic(string user, string password)
    {
        var address = ClientPartition.For(Context.Connection.RemoteIpAddress);
        if (!guard.MayLookUp(address))
        {
            return Throttled();
        }

        if (user == "admin" && admin.IsAdminKey(password))
        {
            return Success(new Claim(ClaimTypes.Role, TenantClaims.AdminRole), new Claim(ClaimTypes.Name, "admin"));
        }

        guard.RecordFailure(address);
        return Refuse("unknown_key", "Wrong admin credentials.");
    }

    private static (string User, string Password)? BasicCredentials(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) || header.Length > 1024)
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return ("", ""); // malformed: counted as a wrong guess
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? ("", "") : (decoded[..colon], decoded[(colon + 1)..]);
    }

    private async Task<AuthenticateResult> AuthenticateKeyAsync(string key)
    {
        var presented = tenantKeys.Recall(key);
        if (presented.Known is { } known)
        {
            return Verdict(known);
        }

        if (presented.KnownUnknown)
        {
            return Refuse("unknown_key", "Unknown API key.");
        }

        // Throttled before the admin check too: a guess at the admin key is a guess like any other.
        var address = ClientPartition.For(Context.Connection.RemoteIpAddress);
        if (!guard.MayLookUp(address))
        {
            return Throttled();
        }

        if (admin.IsAdminKey(key))
        {
            return Success(new Claim(ClaimTypes.Role, TenantClaims.AdminRole), new Claim(ClaimTypes.Name, "admin"));
        }

        if (!await guard.EnterLookupAsync(Context.RequestAborted))
        {
            Context.Items[RefusalItem] = new DomainException(OutcomeKind.Overloaded, ErrorCodes.Overloaded, "Busy", "Too many key checks are running; retry shortly.") { RetryAfterSeconds = 1 };
            return Refuse("lookup_busy", "Key checks are saturated.");
        }

        StoredKey? stored;
        try
        {
            stored = await tenantKeys.LookUpAsync(presented, Context.RequestAborted);
        }
        finally
        {
            guard.ExitLookup();
        }

        if (stored is null)
        {
            guard.RecordFailure(address);
            return Refuse("unknown_key", "Unknown API key.");
        }

        return Verdict(stored);
    }

    private AuthenticateResult Throttled()
    {
        Context.Items[RefusalItem] = new DomainException(OutcomeKind.TooManyRequests, ErrorCodes.RateLimited, "Too many unknown keys", "This address sent too many unknown API keys; slow down.") { RetryAfterSeconds = 1 };
        return Refuse("address_throttled", "Too many unknown keys from this address.");
    }

    private AuthenticateResult Verdict(StoredKey stored)
    {
        if (!tenantKeys.Admit(stored))
        {
            return Refuse("inactive_key", "This API key is revoked, expired, or its tenant is disabled.");
        }

        return Success(
            new Claim(TenantClaims.TenantIdClaim, stored.TenantId.ToString()),
            new Claim(TenantClaims.KeyIdClaim, stored.KeyId.ToString()),
            new Claim(TenantClaims.KeyKindClaim, stored.Kind),
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
        ProblemWriter.WriteAsync(Context, Context.Items[RefusalItem] as DomainException
            ?? new DomainException(OutcomeKind.Unauthenticated, ErrorCodes.Unauthorized, "Unauthorized", $"Send a valid API key in the {TenantClaims.ApiKeyHeader} header."));

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ProblemWriter.WriteAsync(Context, new DomainException(OutcomeKind.Forbidden, ErrorCodes.Forbidden, "Forbidden", "This key may not use this endpoint."));
}
