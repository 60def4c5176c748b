using Microsoft.Net.Http.Headers;

namespace Detector.Web.Infrastructure;

/// <summary>
/// The page at <c>/</c> (wwwroot: plain HTML, CSS and ES modules, no front-end build) where a person
/// tries the API with their key. Served before the database breaker and authentication: the page
/// itself is public and needs neither; every call it makes is an API call with the key.
/// </summary>
internal static class TryPage
{
    /// <summary>Scripts and styles from this origin only, no inline code: a key in session storage is only as safe as the page that holds it.</summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static WebApplication UseTryPage(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers[HeaderNames.ContentSecurityPolicy] = ContentSecurityPolicy;
                headers[HeaderNames.XContentTypeOptions] = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                // Revalidated on every load, so a deploy's page and the API it calls never drift apart.
                headers[HeaderNames.CacheControl] = "no-cache";
            },
        });
        return app;
    }
}
