using Microsoft.Extensions.DependencyInjection.Extensions;
using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Jobs.CancelJob;
using Detector.Modules.Detection.Contracts;
using Detector.Modules.Jobs.Contracts;
using Detector.Modules.Jobs.Dashboard;
using Detector.Modules.Jobs.EraseJob;
using Detector.Modules.Jobs.GetJob;
using Detector.Modules.Jobs.ListJobResults;
using Detector.Modules.Jobs.Processing;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Jobs.SubmitJob;
using Detector.Modules.Jobs.Webhooks;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.Extensions.Hosting;
using Hangfire;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Jobs;

/// <summary>
/// Asynchronous ingestion: jobs of many images (uploads or URLs) processed by Hangfire workers on
/// PostgreSQL through the same detection pipeline as sync requests, with results per item,
/// cancellation, completion webhooks (sent through the Webhooks module), a recovery sweep, and the
/// admin-only dashboard.
/// </summary>
public static class JobsModule
{
    public static IHostApplicationBuilder AddJobs(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<JobsOptions>(JobsOptions.SectionName);

        services.AddSingleton<JobStore>();
        services.AddSingleton<ItemTransitions>();
        services.AddSingleton<RecoveryQueries>();
        services.AddSingleton<WebhookStore>();
        // One lease owner per process start: a restarted instance with the same name must not renew the leases of the one that died.
        services.AddSingleton(sp => new WorkerIdentity(sp.GetRequiredService<IOptions<JobsOptions>>().Value.ResolveInstanceId(), Guid.NewGuid()));
        services.AddSingleton<HeldItems>();
        services.AddSingleton<Images.Contracts.IImageReferences, JobImageReferences>();
        services.AddSingleton<HangfireRows>();
        services.AddSingleton<JobDispatcher>();
        services.AddSingleton<JobSubmitter>();
        services.AddSingleton<UnusedImages>();
        services.AddSingleton<ITenantJobData, TenantJobData>();
        services.AddSingleton<ITenantRegionalData, RegionalJobs>();
        services.AddSingleton<IJobSubmitter>(sp => sp.GetRequiredService<JobSubmitter>());
        services.AddSingleton<JobIntake>();
        services.AddSingleton<SubmitJobHandler>();
        services.AddSingleton<GetJobHandler>();
        services.AddSingleton<ListJobResultsHandler>();
        services.AddSingleton<CancelJobHandler>();
        services.AddSingleton<EraseJobHandler>();
        services.AddSingleton<JobCompletions>();
        services.AddSingleton<ChunkAdmission>();
        services.AddSingleton<ChunkClaims>();
        services.AddSingleton<ItemImages>();
        services.AddSingleton<ItemOutcomes>();
        services.AddSingleton<ItemProcessor>();
        // Hangfire's job classes, activated per execution.
        services.AddTransient<JobWorker>();
        services.AddTransient<WebhookSender>();
        services.AddHostedService<RecoverySweep>();
        // Registered before the Hangfire server, so it stops after it and releases the leases of items the workers put down.
        services.AddHostedService<LeaseKeeper>();
        services.AddScoped<IValidator<SubmitJobRequest>, SubmitJobValidator>();
        services.TryAddScoped<IValidator<PageRequest>, PageRequestValidator>();
        builder.AddJobsHangfire();
        builder.Services.AddSingleton<IBackgroundWork, HangfireBackgroundWork>();
        return builder;
    }

    public static IEndpointRouteBuilder MapJobsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/jobs").WithTags("Jobs").RequireAuthorization(TenantClaims.TenantPolicy).RequireRateLimiting(TenantClaims.RateLimitPolicy);
        group.MapPost("/", SubmitJobEndpoint.Handle)
            .Validate<SubmitJobRequest>()
            .Audited("job.create")
            .Idempotent()
            .DisableAntiforgery()
            .Accepts<byte[]>(isOptional: false, "multipart/form-data", "application/json")
            .WithName("SubmitJob")
            .WithSummary("Accepts a batch of images (multipart 'images' fields, or JSON {\"urls\": [...]}) for asynchronous detection.")
            .WithDescription("Every image is stored before the 202 answer; poll the Location (status_url) until status is terminal, then page through results_url. Options: model, min_score, iou, max_detections, callback_url, priority (query parameters for multipart, fields for JSON).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        group.MapGet("/{id:guid}", GetJobEndpoint.Handle)
            .Audited("job.read", "id")
            .WithName("GetJob")
            .WithSummary("Status, progress counts and webhook attempts of one job of the calling tenant.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{id:guid}/results", ListJobResultsEndpoint.Handle)
            .Validate<PageRequest>()
            .Audited("job.results.read", "id")
            .WithName("ListJobResults")
            .WithSummary("The job's items in submission order with status, error and result; pass next_cursor back as cursor.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id:guid}/erase", EraseJobEndpoint.Handle)
            .Audited("job.erase", "id")
            .WithName("EraseJob")
            .WithSummary("Erases a finished job with its items, results and images (those no other job or result of the tenant holds); returns what was removed.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapDelete("/{id:guid}", CancelJobEndpoint.Handle)
            .Audited("job.cancel", "id")
            .WithName("CancelJob")
            .WithSummary("Cancels the items not yet started: 200 with the job when it is finished, 202 while running items finish.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);

        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [],
            AsyncAuthorization = [new AdminDashboardFilter()],
            DisplayStorageConnectionString = false,
            DashboardTitle = "Detector jobs",
            AppPath = "/swagger",
        }).AllowAnonymous();
        return app;
    }
}
