using System.Globalization;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Detector.Modules.Tenancy.Browser;

/// <summary>
/// Answers CORS preflights (OPTIONS with Origin and Access-Control-Request-Method) before the
/// database breaker and authentication: a preflight carries no key, so it must never get 401, and
/// it is answered from memory (<see cref="BrowserOrigins"/>) even while the database is down. An
/// origin some tenant allows gets 204 with the allow headers; any other gets 204 without them,
/// which the browser takes as a refusal. Which tenant's key follows is checked on the real request.
/// </summary>
internal sealed class CorsPreflight(RequestDelegate next, BrowserOrigins origins, IOptions<CorsOptions> options)
{
    /// <summary>What a page may send: the key, bodies, and the headers the API reads.</summary>
    private const string AllowedHeaders = "X-Api-Key, Content-Type, Idempotency-Key, X-Deadline-Ms, Prefer, If-None-Match";
    private const string AllowedMethods = "GET, POST";

    public Task InvokeAsync(HttpContext http)
    {
        var request = http.Request;
        if (!HttpMethods.IsOptions(request.Method) || !request.Headers.ContainsKey(HeaderNames.Origin) || !request.Headers.ContainsKey(HeaderNames.AccessControlRequestMethod))
        {
            return next(http);
        }

        var origin = request.Headers.Origin.ToString();
        var response = http.Response;
        response.StatusCode = StatusCodes.Status204NoContent;
        response.Headers.Vary = HeaderNames.Origin;
        var allowed = origins.AnyTenantAllows(origin);
        TenancyMetrics.Preflights.WithLabels(allowed ? "allowed" : "refused").Inc();
        if (allowed)
        {
            response.Headers.AccessControlAllowOrigin = origin;
            response.Headers.AccessControlAllowMethods = AllowedMethods;
            response.Headers.AccessControlAllowHeaders = AllowedHeaders;
            response.Headers.AccessControlMaxAge = options.Value.PreflightMaxAgeSeconds.ToString(CultureInfo.InvariantCulture);
        }

        return Task.CompletedTask;
    }
}

/// <summary>The CORS headers of an admitted browser-key request, so the page may read the answer (problems included).</summary>
internal static class CorsResponse
{
    private const string ExposedHeaders = "ETag, Retry-After, Location, RateLimit, RateLimit-Policy";

    public static void Allow(HttpContext http, string origin) =>
        // On starting, not now: the exception handler clears headers before it writes a problem.
        http.Response.OnStarting(static state =>
        {
            var (response, allowed) = ((HttpResponse, string))state;
            response.Headers.AccessControlAllowOrigin = allowed;
            response.Headers.AccessControlExposeHeaders = ExposedHeaders;
            response.Headers.Append(HeaderNames.Vary, HeaderNames.Origin);
            return Task.CompletedTask;
        }, (http.Response, origin));
}
