using Detector.Modules.Common;
using Detector.Modules.Outbound.Contracts;
using Detector.Modules.Outbound.UrlFetch;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Outbound;

/// <summary>
/// Calls to hosts tenants choose: image URLs and webhook receivers. Every connection goes through
/// the address policy (only public addresses, each resolved address checked, redirects checked
/// again) and a circuit breaker per tenant and host.
/// </summary>
public static class OutboundModule
{
    public static IHostApplicationBuilder AddOutbound(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<UrlFetchOptions>(UrlFetchOptions.SectionName, UrlFetchOptions.LegacySectionName);
        services.AddSingleton<IHostResolver, DnsHostResolver>();
        services.AddSingleton<ISocketConnector, TcpSocketConnector>();
        services.AddSingleton<SafeConnector>();
        services.AddValidatedOptions<OutboundBreakersOptions>(OutboundBreakersOptions.SectionName);
        services.AddSingleton(sp => new OutboundBreakers(
            sp.GetRequiredService<ILogger<OutboundBreakers>>(), sp.GetRequiredService<IOptions<OutboundBreakersOptions>>().Value, sp.GetService<TimeProvider>()));
        services.AddSingleton<UrlFetcher>();
        services.AddSingleton<IUrlFetcher>(sp => sp.GetRequiredService<UrlFetcher>());
        services.AddSingleton<IOutboundHttp, OutboundHttp>();
        return builder;
    }

    public static IEndpointRouteBuilder MapOutboundEndpoints(this IEndpointRouteBuilder app) => app;
}
