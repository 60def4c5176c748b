using System.Globalization;
using Dapper;
using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Npgsql;

namespace Detector.Modules.Tenancy.Usage;

/// <summary>
/// Daily and monthly image counts per tenant, in UTC periods of this service's clock
/// (<see cref="TimeProvider"/>, so tests can move it), counted by one call of
/// tenancy.consume_images: both periods or neither, serialised per tenant across the cluster.
/// </summary>
internal sealed class UsageMeter(NpgsqlDataSource dataSource, TimeProvider time, TenantMetricIds metricIds) : IUsageMeter
{
    public async Task<QuotaReceipt> ConsumeAsync(Guid tenantId, TenantPlan plan, int images, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var now = time.GetUtcNow();
        var (day, month) = Periods(now);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        TenancyMetrics.QuotaRoundTrips.Inc();
        var (granted, dayUsed, monthUsed) = await connection.QuerySingleAsync<(bool, long, long)>(new CommandDefinition(
            "SELECT granted, day_used, month_used FROM tenancy.consume_images(@tenantId, @day::date, @month::date, @images, @dayLimit, @monthLimit)",
            new { tenantId, day = ToDate(day), month = ToDate(month), images = (long)images, dayLimit = plan.DailyImages, monthLimit = plan.MonthlyImages },
            cancellationToken: cancellationToken));
        var tenant = metricIds.For(tenantId);
        if (!granted)
        {
            var dayFull = dayUsed + images > plan.DailyImages;
            var resetAt = dayFull ? NextDay(day) : NextMonth(month);
            TenancyMetrics.Refusals.WithLabels(tenant, "quota_exceeded").Inc();
            throw new DomainException(
                OutcomeKind.TooManyRequests,
                ErrorCodes.QuotaExceeded,
                "Quota exceeded",
                $"The {(dayFull ? "daily" : "monthly")} quota of {(dayFull ? plan.DailyImages : plan.MonthlyImages)} images is used up ({(dayFull ? dayUsed : monthUsed)} counted); it resets at {resetAt.ToString("O", CultureInfo.InvariantCulture)}.")
            {
                RetryAfterSeconds = (int)Math.Clamp(Math.Ceiling((resetAt - now).TotalSeconds), 1, int.MaxValue),
                Extensions = new Dictionary<string, object?> { ["reset_at"] = resetAt, ["period"] = dayFull ? "day" : "month" },
            };
        }

        TenancyMetrics.ImagesCounted.WithLabels(tenant).Inc(images);
        return new QuotaReceipt(tenantId, images, day, month);
    }

    public async Task RefundAsync(QuotaReceipt receipt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE tenancy.usage SET images = greatest(0, images - @images)
            WHERE tenant_id = @tenantId AND ((period = 'day' AND period_start = @day::date) OR (period = 'month' AND period_start = @month::date))
            """,
            new { receipt.TenantId, images = receipt.Images, day = ToDate(receipt.Day), month = ToDate(receipt.Month) },
            cancellationToken: cancellationToken));
        TenancyMetrics.ImagesRefunded.WithLabels(metricIds.For(receipt.TenantId)).Inc(receipt.Images);
    }

    public async Task<QuotaUsage> GetAsync(Guid tenantId, TenantPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var (day, month) = Periods(time.GetUtcNow());
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(string Period, long Images)>(new CommandDefinition(
            """
            SELECT period, images FROM tenancy.usage
            WHERE tenant_id = @tenantId AND ((period = 'day' AND period_start = @day::date) OR (period = 'month' AND period_start = @month::date))
            """,
            new { tenantId, day = ToDate(day), month = ToDate(month) },
            cancellationToken: cancellationToken))).ToDictionary(r => r.Period, r => r.Images);
        return new QuotaUsage(
            rows.GetValueOrDefault("day"), plan.DailyImages, NextDay(day),
            rows.GetValueOrDefault("month"), plan.MonthlyImages, NextMonth(month));
    }

    private static (DateOnly Day, DateOnly Month) Periods(DateTimeOffset now)
    {
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        return (day, new DateOnly(day.Year, day.Month, 1));
    }

    private static DateTimeOffset NextDay(DateOnly day) => new(day.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static DateTimeOffset NextMonth(DateOnly month) => new(month.AddMonths(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static DateTime ToDate(DateOnly d) => d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
}
