using System.ComponentModel.DataAnnotations;
using Detector.Modules.Common;
using Detector.Modules.Tenancy.Admin;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Tenancy.Tenants;

namespace Detector.Modules.Tenancy.UpdateTenantPlan;

/// <summary>
/// Sets a tenant's plan: a configured plan as base (or the current plan) with the fields given
/// overriding it, validated by the rules of configured plans. A region change is allowed only
/// where the tenant's data is, and only when none is left (<see cref="RegionChangeGuard"/>).
/// </summary>
internal sealed class UpdateTenantPlanHandler(TenantStore store, Plans plans, RegionChangeGuard regions, TenantViews views)
{
    public async Task<TenantView> HandleAsync(Guid id, UpdatePlanRequest request, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is not { } found)
        {
            throw AdminProblems.TenantNotFound(id);
        }

        var start = request.Base is { } b
            ? plans.Named(b) ?? throw Invalid($"base must be one of {string.Join(", ", plans.Names)}.")
            : found.Plan ?? plans.Default;
        var plan = Apply(start, request);
        await regions.EnsureAllowedAsync(id, (found.Plan ?? plans.Default).Region, plan.Region, ct);
        await store.SetPlanAsync(id, plan, ct);
        return (await views.LoadAsync(id, ct))!;
    }

    /// <summary>The overrides over <paramref name="start"/>, validated by the same rules as configured plans.</summary>
    private static TenantPlan Apply(TenantPlan start, UpdatePlanRequest r)
    {
        var settings = new PlanSettings
        {
            RequestsPerSecond = r.RequestsPerSecond ?? start.RequestsPerSecond,
            Burst = r.Burst ?? start.Burst,
            MaxInFlight = r.MaxInFlight ?? start.MaxInFlight,
            DailyImages = r.DailyImages ?? start.DailyImages,
            MonthlyImages = r.MonthlyImages ?? start.MonthlyImages,
            MaxImageBytes = r.MaxImageBytes ?? start.MaxImageBytes,
            MaxImagesPerJob = r.MaxImagesPerJob ?? start.MaxImagesPerJob,
            AllowedPriorities = string.Join(',', r.AllowedPriorities ?? start.AllowedPriorities),
            RetentionDays = r.RetentionDays ?? start.RetentionDays,
            StoreImages = r.StoreImages ?? start.StoreImages,
            Region = r.Region ?? start.Region,
            DefaultModel = r.DefaultModel ?? start.DefaultModel,
            // Plans.From caps both at the plan's own rate and burst.
            BrowserRequestsPerSecond = r.BrowserRequestsPerSecond ?? start.BrowserRequestsPerSecond,
            BrowserBurst = r.BrowserBurst ?? start.BrowserBurst,
        };
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(settings, new ValidationContext(settings), results, validateAllProperties: true))
        {
            throw Invalid(string.Join(" ", results.Select(x => x.ErrorMessage)));
        }

        var name = (r.Name ?? r.Base ?? start.Name).Trim();
        return name.Length is 0 or > 100 ? throw Invalid("name must be 1 to 100 characters.") : Plans.From(name, settings);
    }

    private static DomainException Invalid(string detail) => new(OutcomeKind.InvalidInput, ErrorCodes.ValidationFailed, "Validation failed", detail);
}
