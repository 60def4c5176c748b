using System.ComponentModel.DataAnnotations;
using Detector.Modules.Common;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Detector.Web.Infrastructure;

/// <summary>
/// Kestrel's limits, chosen rather than inherited (README, "HTTP server limits"). Slow senders
/// are the threat they answer: a client trickling headers, or a body slower than any real phone
/// link, holds a connection and its buffers for nothing. Body size is per endpoint (the upload
/// readers set it), so the server-wide cap only guards routes that read no upload.
/// </summary>
internal sealed class HttpServerOptions
{
    public const string SectionName = "HttpServer";

    /// <summary>Time to receive all request headers (slowloris); Kestrel's default is 30 s.</summary>
    [Range(1, 300)]
    public double RequestHeadersTimeoutSeconds { get; set; } = 10;

    /// <summary>A request body slower than this after the grace period is aborted (Kestrel: 240 B/s); 1 KB/s is far below a 2G link.</summary>
    [Range(0, 1_000_000)]
    public double MinRequestBodyBytesPerSecond { get; set; } = 1024;

    [Range(1, 300)]
    public double MinRequestBodyGraceSeconds { get; set; } = 10;

    /// <summary>Longer than common load balancers' idle timeouts (60 s), so the balancer closes idle connections first.</summary>
    [Range(1, 3600)]
    public double KeepAliveTimeoutSeconds { get; set; } = 90;

    /// <summary>Open connections at most; each holds a socket and buffers (Kestrel: unlimited).</summary>
    [Range(1, 1_000_000)]
    public long MaxConcurrentConnections { get; set; } = 5000;

    [Range(1, 1000)]
    public int MaxRequestHeaderCount { get; set; } = 64;

    [Range(1024, 1 << 20)]
    public int MaxRequestHeadersTotalBytes { get; set; } = 32 * 1024;

    [Range(1024, 1 << 20)]
    public int MaxRequestLineBytes { get; set; } = 8 * 1024;

    /// <summary>Server-wide body cap (a JSON job of 500 URLs fits); the upload endpoints raise theirs to their own limits.</summary>
    [Range(1024, 1L << 40)]
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;
}

internal static class HttpServerLimits
{
    public static IServiceCollection AddHttpServerLimits(this IServiceCollection services)
    {
        services.AddValidatedOptions<HttpServerOptions>(HttpServerOptions.SectionName);
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<HttpServerOptions>>((kestrel, options) =>
        {
            var o = options.Value;
            var limits = kestrel.Limits;
            limits.RequestHeadersTimeout = TimeSpan.FromSeconds(o.RequestHeadersTimeoutSeconds);
            limits.MinRequestBodyDataRate = o.MinRequestBodyBytesPerSecond > 0 ? new MinDataRate(o.MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(o.MinRequestBodyGraceSeconds)) : null;
            limits.KeepAliveTimeout = TimeSpan.FromSeconds(o.KeepAliveTimeoutSeconds);
            limits.MaxConcurrentConnections = o.MaxConcurrentConnections;
            limits.MaxConcurrentUpgradedConnections = 0; // no WebSockets or other upgrades are served
            limits.MaxRequestHeaderCount = o.MaxRequestHeaderCount;
            limits.MaxRequestHeadersTotalSize = o.MaxRequestHeadersTotalBytes;
            limits.MaxRequestLineSize = o.MaxRequestLineBytes;
            limits.MaxRequestBodySize = o.MaxRequestBodyBytes;
        });
        return services;
    }
}
