using Detector.Modules.Tenancy.Contracts;

namespace Detector.Modules.Tenancy.GetUsage;

internal sealed record PeriodUsage(long Used, long Limit, long Remaining, DateTimeOffset ResetsAt);

internal sealed record VersionCost(string Model, string Version, long Requests, double CoreSeconds, double Cost);

/// <summary>A period's compute: core-seconds held by the tenant's served requests and what they cost, in total and by model version.</summary>
internal sealed record PeriodCost(DateTimeOffset From, DateTimeOffset To, double CoreSeconds, double Cost, IReadOnlyList<VersionCost> Versions);

internal sealed record UsageCost(string Currency, double PricePerCoreSecond, PeriodCost Day, PeriodCost Month);

internal sealed record UsageView(Guid TenantId, TenantPlan Plan, PeriodUsage Day, PeriodUsage Month, UsageCost Cost);

/// <summary>A tenant's plan, its image usage today and this month (UTC) with when each resets, and what its requests cost in each.</summary>
internal sealed class GetUsageHandler(IUsageMeter meter, ITenantDirectory directory, IRequestCost cost, IEnumerable<IUsageComputeSource> compute)
{
    public async Task<UsageView> HandleAsync(Guid tenantId, CancellationToken ct)
    {
        // The caller was authenticated as this tenant a moment ago, so the directory knows it.
        var tenant = (await directory.FindAsync(tenantId, ct))!;
        var u = await meter.GetAsync(tenantId, tenant.Plan, ct);
        var dayStart = u.DayResetsAt.AddDays(-1);
        var monthStart = new DateTimeOffset(dayStart.Year, dayStart.Month, 1, 0, 0, 0, TimeSpan.Zero);
        return new UsageView(
            tenantId,
            tenant.Plan,
            new PeriodUsage(u.DayUsed, u.DayLimit, Math.Max(0, u.DayLimit - u.DayUsed), u.DayResetsAt),
            new PeriodUsage(u.MonthUsed, u.MonthLimit, Math.Max(0, u.MonthLimit - u.MonthUsed), u.MonthResetsAt),
            new UsageCost(cost.Currency, cost.PricePerCoreSecond, await PeriodAsync(tenantId, dayStart, u.DayResetsAt, ct), await PeriodAsync(tenantId, monthStart, u.MonthResetsAt, ct)));
    }

    private async Task<PeriodCost> PeriodAsync(Guid tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var versions = new List<VersionCost>();
        foreach (var source in compute)
        {
            versions.AddRange((await source.ComputeAsync(tenantId, from, to, ct)).Select(v => new VersionCost(v.Model, v.Version, v.Requests, v.CoreSeconds, v.CoreSeconds * cost.PricePerCoreSecond)));
        }

        return new PeriodCost(from, to, versions.Sum(v => v.CoreSeconds), versions.Sum(v => v.Cost), versions);
    }
}
