using Detector.Modules.Common;
using Detector.Modules.Models.ArchiveModelVersion;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Models.GetModelHistory;
using Detector.Modules.Models.ListModels;
using Detector.Modules.Models.MoveModelAlias;
using Detector.Modules.Models.RegisterModelVersion;
using Detector.Modules.Models.Registry;
using Detector.Modules.Models.RemoveModelAlias;
using Detector.Modules.Models.UploadModelArtifact;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Models;

/// <summary>
/// The model registry: models, their versions and aliases in PostgreSQL (schema <c>models</c>),
/// seeded from the manifests, followed by every instance through NOTIFY, changed through the
/// admin API. With <c>Models:Registry=false</c> (the eval command, which has no database) the seed
/// manifests alone are served.
/// </summary>
public static class ModelsModule
{
    public static IHostApplicationBuilder AddModels(this IHostApplicationBuilder builder)
    {
        var registry = builder.Configuration.GetValue(ModelsOptions.SectionName + ":" + nameof(ModelsOptions.Registry), true);
        builder.Services.AddValidatedOptions<ModelsOptions>(ModelsOptions.SectionName);
        builder.Services.AddSingleton<ModelCatalog>();
        builder.Services.AddSingleton<IModelCatalog>(sp => sp.GetRequiredService<ModelCatalog>());
        builder.Services.AddSingleton<ListModelsHandler>();
        if (!registry)
        {
            builder.Services.AddSingleton<IModelVersionReports, LoggedReports>();
            builder.Services.AddSingleton<IAliasChanges, NoAliasChanges>();
            return builder;
        }

        builder.Services.AddSingleton<IModelVersionReports, RegistryReports>();
        builder.Services.AddSingleton<IAliasChanges, AliasChanges>();
        builder.Services.AddSingleton<RegistryStore>();
        builder.Services.AddSingleton<ArtifactCache>();
        builder.Services.AddSingleton<UploadModelArtifactHandler>();
        // Registered before the Inference module's host, so its start (seed, first read) ends
        // before any model loads.
        builder.Services.AddSingleton<RegistryFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RegistryFeed>());
        builder.Services.AddHealthChecks().AddCheck<RegistryFeed>("model-registry", tags: ["ready"]);
        builder.Services.AddSingleton<RegisterModelVersionHandler>();
        builder.Services.AddSingleton<IModelVersionRegistrar, DerivedVersionRegistrar>();
        builder.Services.AddSingleton<IModelVersionMetadata, VersionMetadata>();
        builder.Services.AddSingleton<MoveModelAliasHandler>();
        builder.Services.AddSingleton<RemoveModelAliasHandler>();
        builder.Services.AddSingleton<ArchiveModelVersionHandler>();
        builder.Services.AddSingleton<GetModelHistoryHandler>();
        builder.Services.AddSingleton<IValidator<RegisterVersionRequest>, RegisterVersionValidator>();
        builder.Services.AddSingleton<IValidator<MoveAliasRequest>, MoveAliasValidator>();
        return builder;
    }

    public static IEndpointRouteBuilder MapModelsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/models").WithTags("Models").RequireAuthorization();
        group.MapGet("/", ListModelsEndpoint.Handle)
            .AllowBrowserKeys()
            .WithName("ListModels")
            .WithSummary("Lists the served models with their production versions and input sizes, and every version and alias of each.");

        var admin = app.MapGroup("/v1/admin/models").WithTags("Admin").RequireAuthorization(TenantClaims.AdminPolicy);
        admin.MapPut("/artifacts", UploadModelArtifactEndpoint.Handle)
            .WithName("UploadModelArtifact").WithSummary("Stores an ONNX file (the body, application/octet-stream) in PostgreSQL under its sha256 and answers the artifact to register a version with, db:<sha256>; every instance reads it into its local cache.");
        admin.MapPost("/{name}/versions", RegisterModelVersionEndpoint.Handle).Validate<RegisterVersionRequest>()
            .WithName("RegisterModelVersion").WithSummary("Registers a version from the artifact store with its manifest; every instance loads and warms it, and it takes traffic when an alias or a pinned request names it.");
        admin.MapPut("/{name}/aliases/{alias}", MoveModelAliasEndpoint.Handle).Validate<MoveAliasRequest>()
            .WithName("MoveModelAlias").WithSummary("Points an alias (production, canary, shadow, any name) at an active version; every instance follows within seconds, serving the previous version until the new one is warm.");
        admin.MapDelete("/{name}/aliases/{alias}", RemoveModelAliasEndpoint.Handle)
            .WithName("RemoveModelAlias").WithSummary("Removes an alias other than production.");
        admin.MapPost("/{name}/versions/{version}/archive", ArchiveModelVersionEndpoint.Handle)
            .WithName("ArchiveModelVersion").WithSummary("Archives a version no alias names: every instance unloads it and it is never served again.");
        admin.MapGet("/{name}/history", GetModelHistoryEndpoint.Handle)
            .WithName("GetModelHistory").WithSummary("Every move of the model's aliases: from, to, who, why and when.");
        admin.ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }
}
