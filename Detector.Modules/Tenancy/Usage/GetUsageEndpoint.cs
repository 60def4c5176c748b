using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Tenancy.Usage;

internal sealed record PeriodUsage(long Used, long Limit, long Remaining, DateTimeOffset ResetsAt);

internal sealed record UsageView(Guid TenantId, TenantPlan Plan, PeriodUsage Day, PeriodUsage Month);

internal static class GetUsageEndpoint
{
    public static async Task<Ok<UsageView>> Handle(HttpContext http, IUsageMeter meter, ITenantDirectory directory, CancellationToken ct)
    {
        var tenantId = http.User.GetTenantId();
        var tenant = (await directory.FindAsync(tenantId, ct))!;
        var u = await meter.GetAsync(tenantId, tenant.Plan, ct);
        return TypedResults.Ok(new UsageView(
            tenantId,
            tenant.Plan,
            new PeriodUsage(u.DayUsed, u.DayLimit, Math.Max(0, u.DayLimit - u.DayUsed), u.DayResetsAt),
            new PeriodUsage(u.MonthUsed, u.MonthLimit, Math.Max(0, u.MonthLimit - u.MonthUsed), u.MonthResetsAt)));
    }
}
