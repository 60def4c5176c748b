using Microsoft.Extensions.DependencyInjection.Extensions;
using Detector.Modules.Common;
using Detector.Modules.Jobs.CancelJob;
using Detector.Modules.Jobs.Contracts;
using Detector.Modules.Jobs.Dashboard;
using Detector.Modules.Jobs.GetJob;
using Detector.Modules.Jobs.ListJobResults;
using Detector.Modules.Jobs.Processing;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Jobs.SubmitJob;
using Detector.Modules.Jobs.UrlFetch;
using Detector.Modules.Jobs.Webhooks;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Hangfire;
using Hangfire.Common;
using Hangfire.PostgreSql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Jobs;

/// <summary>
/// Asynchronous ingestion: jobs of many images (uploads or URLs) processed by Hangfire workers on
/// PostgreSQL through the same detection pipeline as sync requests, with results per item,
/// cancellation, signed completion webhooks, a recovery sweep, and the admin-only dashboard.
/// </summary>
public static class JobsModule
{
    public static IServiceCollection AddJobs(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<JobsOptions>()
            .BindConfiguration(JobsOptions.SectionName)
            .Configure(o => o.MaxImageBytes = configuration.GetValue<long?>("Ingestion:MaxUploadBytes") ?? o.MaxImageBytes)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<HangfireSettings>().BindConfiguration(HangfireSettings.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<UrlFetchOptions>().BindConfiguration(UrlFetchOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton<JobStore>();
        services.AddSingleton<ItemTransitions>();
        services.AddSingleton<RecoveryQueries>();
        services.AddSingleton<WebhookStore>();
        // One lease owner per process start: a restarted instance with the same name must not renew the leases of the one that died.
        services.AddSingleton(sp => new WorkerIdentity(sp.GetRequiredService<IOptions<JobsOptions>>().Value.ResolveInstanceId(), Guid.NewGuid()));
        services.AddSingleton<JobDispatcher>();
        services.AddSingleton<JobSubmitter>();
        services.AddSingleton<IJobSubmitter>(sp => sp.GetRequiredService<JobSubmitter>());
        services.AddSingleton<IHostResolver, DnsHostResolver>();
        services.AddSingleton<ISocketConnector, TcpSocketConnector>();
        services.AddSingleton<SafeConnector>();
        services.AddSingleton<UrlFetcher>();
        services.AddSingleton<WebhookSender>();
        services.AddTransient<JobWorker>();
        services.AddSingleton<TicketFilter>();
        services.AddSingleton<IJobFilterProvider, JobsFilterProvider>();
        services.AddHostedService<RecoverySweep>();
        // Registered before the Hangfire server, so it stops after it and releases the leases of items the workers put down.
        services.AddHostedService<LeaseKeeper>();
        services.AddScoped<IValidator<SubmitJobRequest>, SubmitJobValidator>();
        services.TryAddScoped<IValidator<PageRequest>, PageRequestValidator>();

        // The storage is registered before AddHangfire (which only TryAdds one), so each host gets
        // its own instance on its own data source instead of the static JobStorage.Current.
        services.AddSingleton<JobStorage>(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<HangfireSettings>>().Value;
            return new PostgreSqlStorage(new DataSourceConnectionFactory(sp.GetRequiredService<NpgsqlDataSource>()), new PostgreSqlStorageOptions
            {
                SchemaName = settings.Schema,
                PrepareSchemaIfNecessary = true,
                QueuePollInterval = TimeSpan.FromMilliseconds(settings.QueuePollIntervalMs),
                InvisibilityTimeout = TimeSpan.FromSeconds(settings.InvisibilityTimeoutSeconds),
                UseSlidingInvisibilityTimeout = true,
                DistributedLockTimeout = TimeSpan.FromSeconds(settings.DistributedLockTimeoutSeconds),
            });
        });
        services.AddHangfire(config => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings());

        var hangfire = configuration.GetSection(HangfireSettings.SectionName).Get<HangfireSettings>() ?? new HangfireSettings();
        if (hangfire.RunServer)
        {
            services.AddHangfireServer((sp, server) =>
            {
                var settings = sp.GetRequiredService<IOptions<HangfireSettings>>().Value;
                server.WorkerCount = settings.ResolveWorkerCount();
                server.Queues = ["high", "default", "low"];
                server.SchedulePollingInterval = TimeSpan.FromMilliseconds(settings.SchedulePollingIntervalMs);
                server.ServerName = sp.GetRequiredService<IOptions<JobsOptions>>().Value.ResolveInstanceId();
            });
        }

        return services;
    }

    public static IEndpointRouteBuilder MapJobsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/jobs").WithTags("Jobs").RequireAuthorization(TenantClaims.TenantPolicy);
        group.MapPost("/", SubmitJobEndpoint.Handle)
            .Validate<SubmitJobRequest>()
            .DisableAntiforgery()
            .Accepts<byte[]>(isOptional: false, "multipart/form-data", "application/json")
            .WithName("SubmitJob")
            .WithSummary("Accepts a batch of images (multipart 'images' fields, or JSON {\"urls\": [...]}) for asynchronous detection.")
            .WithDescription("Every image is stored before the 202 answer; poll the Location (status_url) until status is terminal, then page through results_url. Options: model, min_score, iou, max_detections, callback_url, priority (query parameters for multipart, fields for JSON).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapGet("/{id:guid}", GetJobEndpoint.Handle)
            .WithName("GetJob")
            .WithSummary("Status, progress counts and webhook attempts of one job of the calling tenant.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{id:guid}/results", ListJobResultsEndpoint.Handle)
            .Validate<PageRequest>()
            .WithName("ListJobResults")
            .WithSummary("The job's items in submission order with status, error and result; pass next_cursor back as cursor.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapDelete("/{id:guid}", CancelJobEndpoint.Handle)
            .WithName("CancelJob")
            .WithSummary("Cancels the items not yet started: 200 with the job when it is finished, 202 while running items finish.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);

        var configuration = app.ServiceProvider.GetRequiredService<IConfiguration>();
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [],
            AsyncAuthorization = [new AdminDashboardFilter(configuration["Detector:AdminApiKey"] ?? "")],
            DisplayStorageConnectionString = false,
            DashboardTitle = "Detector jobs",
            AppPath = "/swagger",
        }).AllowAnonymous();
        return app;
    }
}
