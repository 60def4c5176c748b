using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Tenancy.Authentication;

/// <summary>Part of the tenant policy: the caller's tenant is pinned to the region this instance serves.</summary>
internal sealed class ServedRegionRequirement : IAuthorizationRequirement;

/// <summary>Why a tenant was refused here: its region, so the answer can say where to go.</summary>
internal sealed class WrongRegionReason(IAuthorizationHandler handler, string tenantRegion, string servedRegion)
    : AuthorizationFailureReason(handler, $"The tenant's data lives in region '{tenantRegion}'; this instance serves '{servedRegion}'.")
{
    public string TenantRegion { get; } = tenantRegion;
}

/// <summary>
/// Checks residency during authorization, so a wrong-region request is refused before the rate
/// limiter, the idempotency filter or the endpoint could read its body or write anything here.
/// </summary>
internal sealed class ServedRegionHandler(ITenantDirectory tenants, IOptions<DeploymentOptions> deployment) : AuthorizationHandler<ServedRegionRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ServedRegionRequirement requirement)
    {
        if (context.User.TryGetTenantId() is not { } tenantId || await tenants.FindAsync(tenantId, CancellationToken.None) is not { } tenant)
        {
            return; // no tenant: the policy's claim requirement refuses it
        }

        var served = deployment.Value.Region;
        if (deployment.Value.Serves(tenant.Plan.Region))
        {
            context.Succeed(requirement);
            return;
        }

        TenancyMetrics.WrongRegion.WithLabels(tenant.Plan.Region).Inc();
        context.Fail(new WrongRegionReason(this, tenant.Plan.Region, served));
    }
}

/// <summary>
/// Turns a residency refusal into 421 Misdirected Request, problem+json code wrong_region with the
/// tenant's region, and a browser key's refusal into 403 origin_not_allowed or key_not_allowed;
/// everything else as the framework does.
/// </summary>
internal sealed class RegionAwareAuthorizationResultHandler(IOptions<DeploymentOptions> deployment) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure?.FailureReasons.OfType<WrongRegionReason>().FirstOrDefault() is { } reason)
        {
            throw deployment.Value.WrongRegion(reason.TenantRegion, "The tenant's data");
        }

        if (authorizeResult.Forbidden && context.User.IsBrowserKey())
        {
            var refusal = authorizeResult.AuthorizationFailure?.FailureReasons.OfType<Browser.BrowserKeyRefusal>().FirstOrDefault();
            throw refusal?.ToProblem() ?? new DomainException(OutcomeKind.Forbidden, ErrorCodes.KeyNotAllowed, "Key not allowed", "A browser key may not use this endpoint.");
        }

        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
