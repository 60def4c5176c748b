using System.ComponentModel.DataAnnotations;
using System.Net;
using Detector.Modules.Common;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.HttpsPolicy;
using IPNetwork = System.Net.IPNetwork;
using Microsoft.Extensions.Options;

namespace Detector.Web.Infrastructure;

/// <summary>
/// HTTPS policy and the proxies in front of the service (README, "HTTPS"). The HTTPS endpoint and
/// its certificate are Kestrel's own configuration (<c>Kestrel:Endpoints:Https</c>, a file or the
/// certificate store); this says what the service does with plain HTTP once HTTPS exists, and whose
/// X-Forwarded-For / X-Forwarded-Proto it believes.
/// </summary>
internal sealed class TransportOptions : IValidatableObject
{
    public const string SectionName = "Transport";

    /// <summary>Outside Development, answer plain HTTP with a redirect to the HTTPS endpoint (when one is configured); health and metrics stay on HTTP for probes and scrapers.</summary>
    public bool RedirectHttpToHttps { get; set; } = true;

    /// <summary>Strict-Transport-Security max-age on HTTPS answers outside Development; 0 sends none.</summary>
    [Range(0, 3650)]
    public int HstsMaxAgeDays { get; set; } = 365;

    public bool HstsIncludeSubDomains { get; set; }

    /// <summary>Addresses or CIDR networks of the load balancers whose forwarded client address and scheme are believed; none by default (a client cannot spoof them).</summary>
    public string[] TrustedProxies { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var proxy in TrustedProxies)
        {
            if (!IPAddress.TryParse(proxy, out _) && !IPNetwork.TryParse(proxy, out _))
            {
                yield return new ValidationResult($"Transport:TrustedProxies entry '{proxy}' is neither an IP address nor a CIDR network.", [nameof(TrustedProxies)]);
            }
        }
    }
}

internal static class Transport
{
    public static IServiceCollection AddTransport(this IServiceCollection services)
    {
        services.AddValidatedOptions<TransportOptions>(TransportOptions.SectionName);
        services.AddOptions<HstsOptions>().Configure<IOptions<TransportOptions>>((hsts, options) =>
        {
            hsts.MaxAge = TimeSpan.FromDays(options.Value.HstsMaxAgeDays);
            hsts.IncludeSubDomains = options.Value.HstsIncludeSubDomains;
        });
        return services;
    }

    /// <summary>First in the pipeline, so logs, rate limits and the audit log see the client's address and scheme.</summary>
    public static WebApplication UseForwardedClient(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<TransportOptions>>().Value;
        if (options.TrustedProxies.Length == 0)
        {
            return app;
        }

        var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto, ForwardLimit = 1 };
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var proxy in options.TrustedProxies)
        {
            if (IPAddress.TryParse(proxy, out var address))
            {
                forwarded.KnownProxies.Add(address);
            }
            else
            {
                forwarded.KnownIPNetworks.Add(IPNetwork.Parse(proxy));
            }
        }

        app.UseForwardedHeaders(forwarded);
        return app;
    }

    /// <summary>HSTS on HTTPS answers and plain HTTP redirected, outside Development (where http://localhost is the point).</summary>
    public static WebApplication UseHttpsPolicy(this WebApplication app)
    {
        if (app.Environment.IsDevelopment())
        {
            return app;
        }

        var options = app.Services.GetRequiredService<IOptions<TransportOptions>>().Value;
        if (options.HstsMaxAgeDays > 0)
        {
            app.UseHsts();
        }

        // Only with an HTTPS endpoint of its own: where TLS ends at the load balancer there is
        // nothing to redirect to (and the middleware would warn on every start).
        if (options.RedirectHttpToHttps && HttpsConfigured(app.Configuration))
        {
            app.UseWhen(
                http => !http.Request.Path.StartsWithSegments("/health") && !http.Request.Path.StartsWithSegments("/metrics"),
                branch => branch.UseHttpsRedirection());
        }

        return app;
    }

    private static bool HttpsConfigured(IConfiguration configuration) =>
        configuration.GetSection("Kestrel:Endpoints").GetChildren().Any(e => (e["Url"] ?? "").StartsWith("https:", StringComparison.OrdinalIgnoreCase))
        || (configuration["urls"] ?? "").Contains("https:", StringComparison.OrdinalIgnoreCase)
        || !string.IsNullOrEmpty(configuration["https_port"])
        || !string.IsNullOrEmpty(configuration["HttpsRedirection:HttpsPort"]);
}
