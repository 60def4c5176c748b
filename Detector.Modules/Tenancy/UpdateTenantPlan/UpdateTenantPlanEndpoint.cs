using Detector.Modules.Tenancy.Admin;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Tenancy.UpdateTenantPlan;

/// <summary>A plan change: start from <see cref="Base"/> (a configured plan) or the tenant's current plan, then override the fields given.</summary>
internal sealed record UpdatePlanRequest(
    string? Base,
    string? Name,
    double? RequestsPerSecond,
    int? Burst,
    int? MaxInFlight,
    long? DailyImages,
    long? MonthlyImages,
    long? MaxImageBytes,
    int? MaxImagesPerJob,
    IReadOnlyList<string>? AllowedPriorities,
    int? RetentionDays,
    bool? StoreImages,
    string? Region,
    string? DefaultModel = null,
    double? BrowserRequestsPerSecond = null,
    int? BrowserBurst = null);

/// <summary>PUT /v1/admin/tenants/{id}/plan.</summary>
internal static class UpdateTenantPlanEndpoint
{
    public static async Task<Ok<TenantView>> Handle(Guid id, UpdatePlanRequest request, UpdateTenantPlanHandler handler, CancellationToken ct) =>
        TypedResults.Ok(await handler.HandleAsync(id, request, ct));
}
