using Detector.Modules.Tenancy.Contracts;

namespace Detector.Modules.Tenancy.GetUsage;

internal sealed record PeriodUsage(long Used, long Limit, long Remaining, DateTimeOffset ResetsAt);

internal sealed record UsageView(Guid TenantId, TenantPlan Plan, PeriodUsage Day, PeriodUsage Month);

/// <summary>A tenant's plan and its image usage today and this month (UTC), with when each resets.</summary>
internal sealed class GetUsageHandler(IUsageMeter meter, ITenantDirectory directory)
{
    public async Task<UsageView> HandleAsync(Guid tenantId, CancellationToken ct)
    {
        // The caller was authenticated as this tenant a moment ago, so the directory knows it.
        var tenant = (await directory.FindAsync(tenantId, ct))!;
        var u = await meter.GetAsync(tenantId, tenant.Plan, ct);
        return new UsageView(
            tenantId,
            tenant.Plan,
            new PeriodUsage(u.DayUsed, u.DayLimit, Math.Max(0, u.DayLimit - u.DayUsed), u.DayResetsAt),
            new PeriodUsage(u.MonthUsed, u.MonthLimit, Math.Max(0, u.MonthLimit - u.MonthUsed), u.MonthResetsAt));
    }
}
