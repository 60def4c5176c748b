using System.Security.Claims;
using System.Text.Encodings.Web;
using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Tenancy.Authentication;

/// <summary>
/// X-Api-Key authentication for tenants and admins. The admin key comes from configuration and is
/// compared in constant time; tenant keys are looked up by hash and cached briefly, so a busy
/// client does not cost a database round trip per request.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<TenancyOptions> tenancyOptions,
    IAdminVerifier admin,
    TenantStore store,
    IMemoryCache cache)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(TenantClaims.ApiKeyHeader, out var values) || string.IsNullOrWhiteSpace(values.ToString()))
        {
            return AuthenticateResult.NoResult();
        }

        var key = values.ToString().Trim();
        if (key.Length > 256)
        {
            return AuthenticateResult.Fail("Malformed API key.");
        }

        if (admin.IsAdminKey(key))
        {
            return Success(new Claim(ClaimTypes.Role, TenantClaims.AdminRole), new Claim(ClaimTypes.Name, "admin"));
        }

        var cacheKey = "apikey:" + Convert.ToHexString(ApiKeys.Hash(key));
        if (!cache.TryGetValue(cacheKey, out Guid? tenantId))
        {
            tenantId = await store.FindTenantByKeyAsync(key, Context.RequestAborted);
            if (tenancyOptions.Value.KeyCacheSeconds > 0)
            {
                cache.Set(cacheKey, tenantId, TimeSpan.FromSeconds(tenancyOptions.Value.KeyCacheSeconds));
            }
        }

        return tenantId is { } id
            ? Success(new Claim(TenantClaims.TenantIdClaim, id.ToString()), new Claim(ClaimTypes.Name, "tenant:" + id))
            : AuthenticateResult.Fail("Unknown API key.");
    }

    private static AuthenticateResult Success(params Claim[] claims) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        ProblemWriter.WriteAsync(Context, new ProblemException(401, ErrorCodes.Unauthorized, "Unauthorized", $"Send a valid API key in the {TenantClaims.ApiKeyHeader} header."));

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ProblemWriter.WriteAsync(Context, new ProblemException(403, ErrorCodes.Forbidden, "Forbidden", "This key may not use this endpoint."));
}
