using System.Security.Claims;
using Detector.Modules.Datasets.GetDatasetVersion;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Datasets.ImportDatasetVersion;

/// <summary>A COCO dataset to import for a tenant: its annotations file and image folder, relative to Datasets:ImportRoot.</summary>
internal sealed record ImportDatasetVersionRequest(Guid? TenantId, string? Annotations, string? Images);

internal sealed class ImportDatasetVersionValidator : AbstractValidator<ImportDatasetVersionRequest>
{
    public ImportDatasetVersionValidator()
    {
        RuleFor(r => r.TenantId).NotEmpty();
        RuleFor(r => r.Annotations).NotEmpty().MaximumLength(1000);
        RuleFor(r => r.Images).NotEmpty().MaximumLength(1000);
    }
}

/// <summary>POST /v1/admin/datasets/{name}/versions/import: 201 with a new version, 200 with the existing one holding the same content.</summary>
internal static class ImportDatasetVersionEndpoint
{
    public static async Task<Results<Created<VersionView>, Ok<VersionView>>> Handle(string name, ImportDatasetVersionRequest request, ClaimsPrincipal user, ImportDatasetVersionHandler handler, CancellationToken ct)
    {
        var (view, created) = await handler.HandleAsync(name, request, user.AdminActor(), ct);
        return created ? TypedResults.Created($"/v1/admin/datasets/versions/{view.Id}", view) : TypedResults.Ok(view);
    }
}
