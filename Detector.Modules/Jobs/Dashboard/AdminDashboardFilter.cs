using System.Text;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Tenancy.Contracts;
using Hangfire.Dashboard;

namespace Detector.Modules.Jobs.Dashboard;

/// <summary>
/// The Hangfire dashboard is for admins: the admin key in X-Api-Key (already authenticated by the
/// API-key scheme into the admin role), or HTTP basic auth with user "admin" and the admin key as
/// password so a browser can log in. Anonymous callers get 401 with a Basic challenge; tenant keys 403.
/// </summary>
internal sealed class AdminDashboardFilter(IAdminVerifier admin) : IDashboardAsyncAuthorizationFilter
{
    public Task<bool> AuthorizeAsync(DashboardContext context)
    {
        var http = context.GetHttpContext();
        if (http.User.IsInRole(TenantClaims.AdminRole) || IsBasicAdmin(http.Request.Headers.Authorization.ToString()))
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

        _ = http.RequestServices.GetRequiredService<IAuditTrail>().RecordAsync(
            new AuditEvent(action, Target: Truncate((http.Request.PathBase + http.Request.Path).Value), Status: status, Actor: "admin"), CancellationToken.None);
    }

    private static string? Truncate(string? path) => path is { Length: > 200 } ? path[..200] : path;

    private bool IsBasicAdmin(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !decoded.AsSpan(0, colon).SequenceEqual("admin"))
        {
            return false;
        }

        return admin.IsAdminKey(decoded[(colon + 1)..]);
    }
}
