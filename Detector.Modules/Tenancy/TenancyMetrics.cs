using Prometheus;

namespace Detector.Modules.Tenancy;

/// <summary>
/// Per-tenant traffic and refusals (labelled by <see cref="TenantMetricIds"/>, never the tenant's
/// id), and what the tenancy checks cost in database round trips. Never key material.
/// </summary>
internal static class TenancyMetrics
{
    public static readonly Counter WrongRegion = Metrics.CreateCounter(
        "detector_wrong_region_refusals_total", "Tenant requests refused because the tenant is pinned to another region, by the tenant's region.", new CounterConfiguration { LabelNames = ["tenant_region"] });

    public static readonly Counter TenantRequests = Metrics.CreateCounter(
        "detector_tenant_requests_total", "Requests of each tenant admitted by its rate limit.", new CounterConfiguration { LabelNames = ["tenant"] });

    public static readonly Counter BrowserRequests = Metrics.CreateCounter(
        "detector_tenant_browser_requests_total", "Requests of each tenant's browser keys admitted by their own rate limit (not in detector_tenant_requests_total).", new CounterConfiguration { LabelNames = ["tenant"] });

    public static readonly Counter BrowserKeyRefusals = Metrics.CreateCounter(
        "detector_browser_key_refusals_total", "Browser-key requests refused before the endpoint, by reason (origin_not_allowed, key_not_allowed).", new CounterConfiguration { LabelNames = ["reason"] });

    public static readonly Counter Preflights = Metrics.CreateCounter(
        "detector_cors_preflights_total", "CORS preflights answered, by outcome (allowed: the origin is some tenant's; refused: answered without allow headers).", new CounterConfiguration { LabelNames = ["outcome"] });

    public static readonly Counter Refusals = Metrics.CreateCounter(
        "detector_tenant_refusals_total", "Requests refused by tenant limits, by reason (rate_limited, browser_rate_limited, quota_exceeded, concurrency_limited, priority_not_allowed).", new CounterConfiguration { LabelNames = ["tenant", "reason"] });

    public static readonly Counter ImagesCounted = Metrics.CreateCounter(
        "detector_tenant_images_total", "Images counted against each tenant's quotas.", new CounterConfiguration { LabelNames = ["tenant"] });

    public static readonly Counter ImagesRefunded = Metrics.CreateCounter(
        "detector_tenant_images_refunded_total", "Images given back to each tenant's quotas (refused after they were counted).", new CounterConfiguration { LabelNames = ["tenant"] });

    public static readonly Counter CoreSeconds = Metrics.CreateCounter(
        "detector_tenant_core_seconds_total", "Core-seconds each tenant's served requests held (decode, their share of batch runs, postprocess), by model version.", new CounterConfiguration { LabelNames = ["tenant", "model", "version"] });

    public static readonly Counter Cost = Metrics.CreateCounter(
        "detector_tenant_cost_total", "What each tenant's served requests cost (core-seconds x Tenancy:Cost:PricePerCoreSecond, in Tenancy:Cost:Currency), by model version.", new CounterConfiguration { LabelNames = ["tenant", "model", "version"] });

    private static readonly Counter[] PerTenant = [TenantRequests, BrowserRequests, Refusals, ImagesCounted, ImagesRefunded, CoreSeconds, Cost];

    public static readonly Counter AuthFailures = Metrics.CreateCounter(
        "detector_auth_failures_total", "API keys refused, by reason (unknown_key, inactive_key, malformed, address_throttled, lookup_busy).", new CounterConfiguration { LabelNames = ["reason"] });

    public static readonly Counter KeyLookups = Metrics.CreateCounter(
        "detector_key_lookups_total", "API key checks that went to the database (cache misses).");

    public static readonly Counter RateLimitRoundTrips = Metrics.CreateCounter(
        "detector_rate_limit_db_round_trips_total", "Round trips to the shared token buckets (one per leased block of tokens).");

    public static readonly Counter QuotaRoundTrips = Metrics.CreateCounter(
        "detector_quota_db_round_trips_total", "Round trips counting images against quotas.");

    /// <summary>Removes every series of a tenant (its erasure): the scrape no longer tells it ever sent anything.</summary>
    public static void Forget(string tenantLabel)
    {
        foreach (var counter in PerTenant)
        {
            foreach (var labels in counter.GetAllLabelValues().Where(l => l[0] == tenantLabel).ToList())
            {
                counter.RemoveLabelled(labels);
            }
        }
    }
}
