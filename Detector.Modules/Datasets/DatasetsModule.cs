using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Datasets.Canonical;
using Detector.Modules.Datasets.Contracts;
using Detector.Modules.Datasets.CutDatasetVersion;
using Detector.Modules.Datasets.ExportVersion;
using Detector.Modules.Datasets.GetDatasetManifest;
using Detector.Modules.Datasets.GetDatasetVersion;
using Detector.Modules.Datasets.ImportDatasetVersion;
using Detector.Modules.Datasets.ListDatasets;
using Detector.Modules.Datasets.ListDatasetVersions;
using Detector.Modules.Datasets.Storage;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Datasets;

/// <summary>
/// The data loop's record (issue 26): immutable, content-addressed dataset versions (schema
/// <c>datasets</c>, ADR 0024) imported from COCO folders or cut from reviewed labels, their
/// bit-identical exports, and erase over immutability (an erased image leaves its versions
/// incomplete, never holding it).
/// </summary>
public static class DatasetsModule
{
    public static IHostApplicationBuilder AddDatasets(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<DatasetsOptions>(DatasetsOptions.SectionName);
        services.AddSingleton(sp => new SplitRule(sp.GetRequiredService<IOptions<DatasetsOptions>>().Value.Splits));
        services.AddSingleton<VersionBuilder>();
        services.AddSingleton<DatasetStore>();
        services.AddSingleton<VersionWriter>();
        services.AddSingleton<WorkFolders>();
        services.AddSingleton<EntryErasure>();
        services.AddSingleton<DatasetImages>();
        services.AddSingleton<IImageReferences>(sp => sp.GetRequiredService<DatasetImages>());
        services.AddSingleton<IImageDeletionListener>(sp => sp.GetRequiredService<DatasetImages>());
        services.AddSingleton<ITenantDatasetData>(sp => sp.GetRequiredService<DatasetImages>());
        services.AddSingleton<VersionExporter>();
        services.AddSingleton<DatasetVersions>();
        services.AddSingleton<IDatasetVersions>(sp => sp.GetRequiredService<DatasetVersions>());
        services.AddSingleton<ExportVersionHandler>();
        services.AddSingleton<CocoImport>();
        services.AddSingleton<ImportDatasetVersionHandler>();
        services.AddSingleton<CutDatasetVersionHandler>();
        services.AddSingleton<GetDatasetManifestHandler>();
        services.AddSingleton<IValidator<ImportDatasetVersionRequest>, ImportDatasetVersionValidator>();
        services.AddSingleton<IValidator<CutDatasetVersionRequest>, CutDatasetVersionValidator>();
        return builder;
    }

    /// <summary>
    /// The <c>datasets export</c> command's use case: writes the version's export and its
    /// handoff.json into <paramref name="outDirectory"/>. Exit codes: 0 written, 1 no such
    /// version, 2 the folder is not empty, 3 the version is incomplete and <paramref name="allowIncomplete"/> is false.
    /// </summary>
    public static Task<int> RunExportAsync(IServiceProvider services, string versionId, string outDirectory, bool allowIncomplete, TextWriter output, TextWriter error, CancellationToken ct) =>
        services.GetRequiredService<ExportVersionHandler>().RunAsync(versionId, outDirectory, allowIncomplete, output, error, ct);

    public static IEndpointRouteBuilder MapDatasetsEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/v1/admin/datasets").WithTags("Admin").RequireAuthorization(TenantClaims.AdminPolicy);
        admin.MapGet("/", ListDatasetsEndpoint.Handle)
            .WithName("ListDatasets").WithSummary("Every dataset with its number of versions and its latest version.");
        admin.MapGet("/{name}/versions", ListDatasetVersionsEndpoint.Handle)
            .WithName("ListDatasetVersions").WithSummary("A dataset's versions, newest first, each with its counts, splits, hashes and whether it is still complete.");
        admin.MapPost("/{name}/versions/import", ImportDatasetVersionEndpoint.Handle).Validate<ImportDatasetVersionRequest>().Audited("dataset.import", "name")
            .WithName("ImportDatasetVersion").WithSummary("Imports a COCO dataset under Datasets:ImportRoot as a version of a tenant's images (stored in its encrypted store); 201 with the new version, 200 with the existing one when the content is the same.");
        admin.MapPost("/{name}/versions", CutDatasetVersionEndpoint.Handle).Validate<CutDatasetVersionRequest>().Audited("dataset.cut", "name")
            .WithName("CutDatasetVersion").WithSummary("Cuts a version from the labeling queue's final labels (tenant_ids, after), optionally merged with an earlier version (merge_with); 201 new, 200 when a version holds the same content.");
        admin.MapGet("/versions/{id}", GetDatasetVersionEndpoint.Handle)
            .WithName("GetDatasetVersion").WithSummary("A version: images, splits, classes, annotations and export sha256, parent, created_at, and complete, or incomplete with how many entries were erased and why.");
        admin.MapGet("/versions/{id}/manifest", GetDatasetManifestEndpoint.Handle)
            .Produces<byte[]>(StatusCodes.Status200OK, "application/json")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("GetDatasetManifest").WithSummary("The version's canonical manifest, byte for byte (its sha256 is the version id); 409 dataset_version_incomplete once entries were erased.");
        admin.ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return app;
    }
}
