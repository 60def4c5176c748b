using System.ComponentModel.DataAnnotations;
using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Tenancy.Keys;
using Detector.Modules.Tenancy.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Tenancy.Admin;

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
    string? Region);

internal static class PlanEndpoints
{
    public static async Task<Ok<TenantView>> Update(Guid id, UpdatePlanRequest request, TenantStore store, KeyStore keys, Plans plans, TimeProvider time, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is not { } found)
        {
            throw TenantEndpoints.NotFound(id);
        }

        var start = request.Base is { } b
            ? plans.Named(b) ?? throw Invalid($"base must be one of {string.Join(", ", plans.Names)}.")
            : found.Plan ?? plans.Default;
        var plan = Apply(start, request);
        await store.SetPlanAsync(id, plan, ct);
        return TypedResults.Ok((await TenantViews.LoadAsync(id, store, keys, plans, time, ct))!);
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
        };
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(settings, new ValidationContext(settings), results, validateAllProperties: true))
        {
            throw Invalid(string.Join(" ", results.Select(x => x.ErrorMessage)));
        }

        var name = (r.Name ?? r.Base ?? start.Name).Trim();
        return name.Length is 0 or > 100 ? throw Invalid("name must be 1 to 100 characters.") : Plans.From(name, settings);
    }

    private static ProblemException Invalid(string detail) => new(400, ErrorCodes.ValidationFailed, "Validation failed", detail);
}
