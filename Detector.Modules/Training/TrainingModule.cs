using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Training.GetModelVersionLineage;
using Detector.Modules.Training.GetTrainingRun;
using Detector.Modules.Training.ListTrainingRuns;
using Detector.Modules.Training.RecordTrainingRun;
using Detector.Modules.Training.Runs;
using FluentValidation;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Training;

/// <summary>
/// The data loop's records of how versions are made (issue 26, ADR 0025): training runs recorded
/// by the external trainer (schema <c>training</c>, immutable, content-addressed) and every
/// version's lineage, from the registry (Models), the runs, dataset versions (Datasets) and
/// evaluations (Evaluation).
/// </summary>
public static class TrainingModule
{
    public static IHostApplicationBuilder AddTraining(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<TrainingOptions>(TrainingOptions.SectionName);
        builder.Services.AddSingleton<TrainingRunStore>();
        builder.Services.AddSingleton<RecordTrainingRunHandler>();
        builder.Services.AddSingleton<GetModelVersionLineageHandler>();
        builder.Services.AddSingleton<IValidator<RecordTrainingRunRequest>, RecordTrainingRunValidator>();
        return builder;
    }

    public static IEndpointRouteBuilder MapTrainingEndpoints(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/v1/admin/training-runs").WithTags("Admin").RequireAuthorization(TenantClaims.AdminPolicy);
        runs.MapPost("/", RecordTrainingRunEndpoint.Handle).Validate<RecordTrainingRunRequest>().Audited("training.run.record")
            .WithName("RecordTrainingRun").WithSummary("Records a training run of the external trainer (docs/training-handoff.md) once the produced version is registered with the artifact's sha256 and the dataset version's export has the sha256 the trainer read; stored immutable under the sha256 of its canonical record. 201, or 200 with the stored run when the same record was posted before.");
        runs.MapGet("/", ListTrainingRunsEndpoint.Handle)
            .WithName("ListTrainingRuns").WithSummary("The latest training runs, newest first, of a model (?model=) or one of its versions (&version=) when named.");
        runs.MapGet("/{id:guid}", GetTrainingRunEndpoint.Handle)
            .WithName("GetTrainingRun").WithSummary("A training run as recorded, with its canonical record and the record's sha256.");
        runs.ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        var models = app.MapGroup("/v1/admin/models").WithTags("Admin").RequireAuthorization(TenantClaims.AdminPolicy);
        models.MapGet("/{name}/versions/{version}/lineage", GetModelVersionLineageEndpoint.Handle)
            .WithName("GetModelVersionLineage").WithSummary("Where a version came from and which data validated it: its sha256, precision and registration, the version a compressed variant was derived from, the training runs that produced it (dataset version, whether it is complete now, export hash) and its succeeded evaluations (dataset version and split or COCO folder, annotations sha256, mAP, AP50, ECE, when).")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }
}
