using Detector.Modules.Common;
using Detector.Modules.Evaluation.CalibrateScores;
using Detector.Modules.Evaluation.CompareEvaluations;
using Detector.Modules.Evaluation.Contracts;
using Detector.Modules.Evaluation.GetEvaluation;
using Detector.Modules.Evaluation.GetEvaluationReportPage;
using Detector.Modules.Evaluation.History;
using Detector.Modules.Evaluation.ListEvaluations;
using Detector.Modules.Evaluation.RunEvaluation;
using Detector.Modules.Evaluation.StartEvaluation;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Evaluation;

/// <summary>
/// COCO-style accuracy evaluation of a served model: as the `eval` command, and as evaluation jobs
/// (`/v1/admin/evaluations`) run on the job queue with stored reports (schema <c>evaluation</c>).
/// </summary>
public static class EvaluationModule
{
    /// <summary>
    /// The service's evaluation: <see cref="AddDatasetEvaluation"/> and the evaluation jobs (they
    /// need the database and the Jobs module's queue).
    /// </summary>
    public static IHostApplicationBuilder AddEvaluation(this IHostApplicationBuilder builder)
    {
        builder.AddDatasetEvaluation();
        builder.Services.AddValidatedOptions<EvaluationOptions>(EvaluationOptions.SectionName);
        builder.Services.AddSingleton<EvaluationStore>();
        builder.Services.AddSingleton<EvaluationInputs>();
        builder.Services.AddSingleton<IEvaluationHistory, EvaluationHistory>();
        builder.Services.AddSingleton<StartEvaluationHandler>();
        builder.Services.AddSingleton<GetEvaluationReportPageHandler>();
        builder.Services.AddSingleton<CompareEvaluationsHandler>();
        builder.Services.AddTransient<EvaluationRunner>();
        builder.Services.AddSingleton<IValidator<StartEvaluationRequest>, StartEvaluationValidator>();
        return builder;
    }

    /// <summary>What the `eval` and `calibrate` commands need, and no more: <see cref="IDatasetEvaluator"/> over Inference and Models, no database.</summary>
    public static IHostApplicationBuilder AddDatasetEvaluation(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddTransient<IDatasetEvaluator, DatasetEvaluator>();
        builder.Services.TryAddTransient<CalibrateScoresHandler>();
        return builder;
    }

    /// <summary>
    /// The `calibrate` command's use case: fits the version's score calibration, prints ECE before
    /// and after (and the check set's), and with Register keeps it with the version. Returns 0 on
    /// success, 2 for an unknown model, 1 when registering is not possible.
    /// </summary>
    public static Task<int> RunCalibrationAsync(IServiceProvider services, CalibrationSettings settings, TextWriter output, CancellationToken ct) =>
        services.GetRequiredService<CalibrateScoresHandler>().RunAsync(settings, output, ct);

    public static IEndpointRouteBuilder MapEvaluationEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/v1/admin/evaluations").WithTags("Admin").RequireAuthorization(TenantClaims.AdminPolicy);
        admin.MapPost("/", StartEvaluationEndpoint.Handle).Validate<StartEvaluationRequest>()
            .WithName("StartEvaluation").WithSummary("Scores a model version (name, name@version or name@alias) on a COCO dataset under Evaluation:DatasetRoot, or on a dataset version (dataset_version, split: train, val, test or all; default val), as a background job; answers 202 with the evaluation to poll.");
        admin.MapGet("/", ListEvaluationsEndpoint.Handle)
            .WithName("ListEvaluations").WithSummary("The latest evaluations, newest first, without their reports.");
        admin.MapGet("/{id:guid}", GetEvaluationEndpoint.Handle)
            .WithName("GetEvaluation").WithSummary("An evaluation's state and progress, and once it succeeded its report: COCO mAP, per-class AP and precision-recall curves, the class confusion matrix, calibration (reliability and ECE), per-image latency and the version's sha256.");
        admin.MapGet("/{id:guid}/report.html", GetEvaluationReportPageEndpoint.Handle)
            .Produces<string>(StatusCodes.Status200OK, "text/html")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("GetEvaluationReportPage").WithSummary("A succeeded evaluation's report as one self-contained HTML page: what was scored, the COCO numbers, per-class AP, latency and calibration tables, and plots drawn with ScottPlot (precision-recall curves, per-class AP, the reliability diagram, the confusion matrix); 409 evaluation_not_finished while it runs, evaluation_failed when it has no report.");
        admin.MapGet("/{a:guid}/compare/{b:guid}", CompareEvaluationsEndpoint.Handle)
            .WithName("CompareEvaluations").WithSummary("Compares two succeeded evaluations of the same dataset, B against A: mAP and per-class AP, each with the difference's 95% interval and the share of bootstrap resamples over images (?samples=, default 200, fixed seed) where B is not better.");
        admin.ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return app;
    }

    /// <summary>
    /// The `eval` command's use case, its line already parsed by the host: evaluates and prints the
    /// report to <paramref name="output"/>. Returns 0 on success, 2 for an unknown model.
    /// </summary>
    public static Task<int> RunEvaluationAsync(IServiceProvider services, EvaluationSettings settings, TextWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        return EvaluationCommand.RunAsync(services, settings, output, ct);
    }
}
