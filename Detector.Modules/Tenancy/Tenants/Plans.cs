using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Tenancy.Tenants;

/// <summary>The configured plans as <see cref="TenantPlan"/>s.</summary>
internal sealed class Plans(IOptions<PlanOptions> options)
{
    public TenantPlan Default => Named(options.Value.DefaultPlan)!;

    public IReadOnlyCollection<string> Names => options.Value.Plans.Keys;

    public TenantPlan? Named(string name) =>
        options.Value.Plans.TryGetValue(name, out var s) ? From(name, s) : null;

    public static TenantPlan From(string name, PlanSettings s) => new(
        name,
        s.RequestsPerSecond,
        s.Burst,
        s.MaxInFlight,
        s.DailyImages,
        s.MonthlyImages,
        s.MaxImageBytes,
        s.MaxImagesPerJob,
        s.AllowedPriorities.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
        s.RetentionDays,
        s.StoreImages,
        s.Region)
    {
        DefaultModel = string.IsNullOrEmpty(s.DefaultModel) ? null : s.DefaultModel,
        // A key any page visitor can read out never buys more than the secret one.
        BrowserRequestsPerSecond = Math.Min(s.BrowserRequestsPerSecond, s.RequestsPerSecond),
        BrowserBurst = Math.Min(s.BrowserBurst, s.Burst),
    };
}
