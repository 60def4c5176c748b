using System.Security.Claims;
using Detector.Modules.Datasets.GetDatasetVersion;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Datasets.CutDatasetVersion;

/// <summary>
/// A cut of the labeling queue's final labels: of these tenants only (all when absent), final
/// after a time (all when absent), merged with an earlier version's entries when named.
/// </summary>
internal sealed record CutDatasetVersionRequest(IReadOnlyList<Guid>? TenantIds, DateTimeOffset? After, string? MergeWith);

internal sealed class CutDatasetVersionValidator : AbstractValidator<CutDatasetVersionRequest>
{
    public CutDatasetVersionValidator()
    {
        RuleFor(r => r.TenantIds).Must(t => t is null || t.Count is > 0 and <= 1000).WithMessage("tenant_ids names 1 to 1000 tenants when given.");
        RuleFor(r => r.MergeWith).Length(64).Matches("^[0-9a-f]{64}$").When(r => r.MergeWith is not null);
    }
}

/// <summary>POST /v1/admin/datasets/{name}/versions: 201 with a new version, 200 with the existing one holding the same content.</summary>
internal static class CutDatasetVersionEndpoint
{
    public static async Task<Results<Created<VersionView>, Ok<VersionView>>> Handle(string name, CutDatasetVersionRequest request, ClaimsPrincipal user, CutDatasetVersionHandler handler, CancellationToken ct)
    {
        var (view, created) = await handler.HandleAsync(name, request, user.AdminActor(), ct);
        return created ? TypedResults.Created($"/v1/admin/datasets/versions/{view.Id}", view) : TypedResults.Ok(view);
    }
}
