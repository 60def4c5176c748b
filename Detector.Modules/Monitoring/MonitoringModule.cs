using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Monitoring.Drift;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Monitoring;

/// <summary>Online monitoring of served traffic per model version: drift against each version's baseline (ADR 0021), as metrics.</summary>
public static class MonitoringModule
{
    public static IHostApplicationBuilder AddMonitoring(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<MonitoringOptions>(MonitoringOptions.SectionName);
        builder.Services.AddSingleton<IDetectionObserver, DriftMonitor>();
        return builder;
    }

    /// <summary>No endpoints: drift is read from /metrics (detector_drift_psi) and alerted on by Prometheus.</summary>
    public static IEndpointRouteBuilder MapMonitoringEndpoints(this IEndpointRouteBuilder app) => app;
}
