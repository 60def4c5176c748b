using Detector.Modules.Common.Auditing;
using Detector.Modules.Tenancy.Contracts;
using Hangfire.Dashboard;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Jobs.Dashboard;

/// <summary>
/// The Hangfire dashboard is for admins: the admin key in X-Api-Key, or HTTP basic auth with user
/// "admin" and the admin key as password so a browser can log in; both are authenticated by the
/// API-key scheme into the admin role, through its unknown-key throttle. Anonymous callers get 401
/// with a Basic challenge; tenant keys 403.
/// </summary>
internal sealed class AdminDashboardFilter : IDashboardAsyncAuthorizationFilter
{
    public Task<bool> AuthorizeAsync(DashboardContext context)
    {
        var http = context.GetHttpContext();
        if (http.User.IsInRole(TenantClaims.AdminRole))
        {
            Record(http, "dashboard.access", 200);
            return Task.FromResult(true);
        }

        if (http.User.Identity?.IsAuthenticated != true)
        {
            // Hangfire answers 401 for unauthenticated callers; the challenge makes browsers ask.
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"Detector Hangfire\", charset=\"UTF-8\"";
        }

        return Task.FromResult(false);
    }

    /// <summary>Page views only: the dashboard's own polling (stats) and its scripts and styles are not access worth recording.</summary>
    private static void Record(HttpContext http, string action, int status)
    {
        var path = http.Request.Path.Value ?? "";
        if (path.EndsWith("/stats", StringComparison.Ordinal) || path.Contains("/js", StringComparison.Ordinal) || path.Contains("/css", StringComparison.Ordinal)
            || path.Contains("/fonts", StringComparison.Ordinal))
        {
            return;
        }

        http.RequestServices.GetRequiredService<IAuditTrail>().Record(
            new AuditEvent(action, Target: Truncate((http.Request.PathBase + http.Request.Path).Value), Status: status, Actor: "admin"),
            http.RequestServices.GetRequiredService<ILogger<AdminDashboardFilter>>());
    }

    private static string? Truncate(string? path) => path is { Length: > 200 } ? path[..200] : path;
}
