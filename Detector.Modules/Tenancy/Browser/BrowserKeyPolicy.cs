using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Net.Http.Headers;

namespace Detector.Modules.Tenancy.Browser;

/// <summary>Part of every policy (tenant, admin, default, fallback): what a browser key may reach.</summary>
internal sealed class BrowserKeyRequirement : IAuthorizationRequirement;

/// <summary>Why a browser key was refused: its stable code and the detail the problem carries.</summary>
internal sealed class BrowserKeyRefusal(IAuthorizationHandler handler, string code, string detail) : AuthorizationFailureReason(handler, detail)
{
    public string Code { get; } = code;

    public DomainException ToProblem() => new(OutcomeKind.Forbidden, Code, Code == ErrorCodes.OriginNotAllowed ? "Origin not allowed" : "Key not allowed", Message);
}

/// <summary>
/// Secret keys and the admin pass untouched. A browser key passes only from one of its tenant's
/// allowed origins (no Origin header: refused, it is not a browser) and only on an endpoint that
/// opted in with <see cref="BrowserKeys.AllowBrowserKeys{TBuilder}"/>; from an allowed origin its
/// answer, refusals included, carries the CORS headers so the page can read it.
/// </summary>
internal sealed class BrowserKeyHandler(BrowserOrigins origins) : AuthorizationHandler<BrowserKeyRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, BrowserKeyRequirement requirement)
    {
        if (!context.User.IsBrowserKey())
        {
            context.Succeed(requirement);
            return Task.CompletedTask;
        }

        if (context.Resource is not HttpContext http || context.User.TryGetTenantId() is not { } tenantId)
        {
            return Refuse(context, ErrorCodes.KeyNotAllowed, "A browser key may not be used here.");
        }

        var origin = http.Request.Headers[HeaderNames.Origin].ToString();
        if (origin.Length == 0 || !origins.TenantAllows(tenantId, origin))
        {
            return Refuse(context, ErrorCodes.OriginNotAllowed, origin.Length == 0
                ? "A browser key is accepted only from a web page of one of its tenant's allowed origins; this request sent no Origin."
                : $"The origin {origin} is not one of this tenant's allowed origins.");
        }

        CorsResponse.Allow(http, origin);
        if (http.GetEndpoint()?.Metadata.GetMetadata<BrowserKeysAllowed>() is null)
        {
            return Refuse(context, ErrorCodes.KeyNotAllowed, "A browser key may only detect, read the results it created and list models; use a secret key from a server for everything else.");
        }

        context.Succeed(requirement);
        return Task.CompletedTask;
    }

    private Task Refuse(AuthorizationHandlerContext context, string code, string detail)
    {
        TenancyMetrics.BrowserKeyRefusals.WithLabels(code).Inc();
        context.Fail(new BrowserKeyRefusal(this, code, detail));
        return Task.CompletedTask;
    }
}
