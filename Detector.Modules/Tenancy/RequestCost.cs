using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Tenancy;

/// <summary>Counts each served request's core-seconds and cost per tenant (opaque id) and model version.</summary>
internal sealed class RequestCost(IOptions<CostOptions> options, TenantMetricIds metricIds) : IRequestCost
{
    public double PricePerCoreSecond => options.Value.PricePerCoreSecond;

    public string Currency => options.Value.Currency;

    public void Record(Guid tenantId, string model, string version, double coreSeconds)
    {
        if (coreSeconds <= 0)
        {
            return; // an answer from the result cache held no core worth counting
        }

        var tenant = metricIds.For(tenantId);
        TenancyMetrics.CoreSeconds.WithLabels(tenant, model, version).Inc(coreSeconds);
        TenancyMetrics.Cost.WithLabels(tenant, model, version).Inc(coreSeconds * options.Value.PricePerCoreSecond);
    }
}
