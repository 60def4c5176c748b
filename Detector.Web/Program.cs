using System.Text.Json;
using Detector.Modules.Common;
using Detector.Modules.Common.Database;
using Detector.Modules.Evaluation;
using Detector.Modules.Inference;
using Detector.Modules.Ingestion;
using Detector.Modules.Jobs;
using Detector.Modules.Models;
using Detector.Modules.Preprocessing;
using Detector.Modules.Results;
using Detector.Modules.Tenancy;
using Detector.Modules.Tenancy.Contracts;
using Detector.Web;
using Detector.Web.Infrastructure;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.OpenApi;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Prometheus;
using Serilog;
using Serilog.Context;
using Serilog.Formatting.Compact;

if (args is ["eval", ..])
{
    return await EvalCommand.RunAsync(args);
}

// The content root is the app folder, so appsettings and manifests are found whatever the
// working directory; relative data paths (models, image store) still resolve against the latter.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

builder.Host.UseSerilog((context, services, logger) =>
{
    logger.ReadFrom.Configuration(context.Configuration)
        .ReadFrom.Services(services)
        .Enrich.FromLogContext()
        .Enrich.WithProperty("Service", "detector");
    if (context.HostingEnvironment.IsDevelopment())
    {
        logger.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj} {Properties:j}{NewLine}{Exception}");
    }
    else
    {
        logger.WriteTo.Console(new RenderedCompactJsonFormatter());
    }
});

builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
builder.Services.AddEndpointsApiExplorer();
builder.Services.AddSwaggerGen(o =>
{
    o.SwaggerDoc("v1", new OpenApiInfo { Title = "Detector API", Version = "v1", Description = "Object detection over REST: boxes, labels and confidences from ONNX models." });
    o.AddSecurityDefinition("ApiKey", new OpenApiSecurityScheme
    {
        Type = SecuritySchemeType.ApiKey,
        In = ParameterLocation.Header,
        Name = TenantClaims.ApiKeyHeader,
        Description = "Tenant or admin API key.",
    });
    o.AddSecurityRequirement(document => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("ApiKey", document)] = [] });
    o.SupportNonNullableReferenceTypes();
    o.OperationFilter<ExampleOperationFilter>();
});
// Traces: the pipeline's own spans (detect > preprocess / inference / postprocess), ASP.NET Core,
// outgoing HTTP and Npgsql, exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
builder.Services.AddOpenTelemetry()
    .ConfigureResource(r => r.AddService("detector"))
    .WithTracing(tracing =>
    {
        tracing.AddSource(DetectorTelemetry.SourceName, "Npgsql")
            .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/metrics") && !http.Request.Path.StartsWithSegments("/health"))
            .AddHttpClientInstrumentation();
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            tracing.AddOtlpExporter();
        }
    });
builder.Services.AddHealthChecks()
    .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"])
    .AddCheck<ModelsHealthCheck>("models", tags: ["ready"]);

builder.Services
    .AddDetectorDatabase()
    .AddTenancy()
    .AddModels()
    .AddPreprocessing()
    .AddInference()
    .AddResults()
    .AddIngestion()
    .AddEvaluation()
    .AddJobs(builder.Configuration);

var app = builder.Build();

try
{
    // Options are validated here rather than on the first request: a misconfigured replica must
    // never report ready.
    app.Services.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
    if (app.Configuration.GetValue("Database:MigrateOnStart", true))
    {
        await app.Services.GetRequiredService<MigrationRunner>().MigrateAsync(CancellationToken.None);
    }
}
catch (Exception ex) when (ex is Microsoft.Extensions.Options.OptionsValidationException
    || (ex is AggregateException agg && agg.InnerExceptions.All(e => e is Microsoft.Extensions.Options.OptionsValidationException)))
{
    var failures = ex is AggregateException all
        ? all.InnerExceptions.Cast<Microsoft.Extensions.Options.OptionsValidationException>().SelectMany(e => e.Failures)
        : ((Microsoft.Extensions.Options.OptionsValidationException)ex).Failures;
    app.Logger.LogCritical("Invalid configuration, not starting: {Failures}", string.Join("; ", failures));
    return 1;
}
catch (Npgsql.NpgsqlException ex)
{
    app.Logger.LogCritical("Database unavailable at start-up, not starting: {Reason}", ex.Message);
    return 1;
}

app.UseExceptionHandler();
app.UseStatusCodePages(StatusCodeProblems.WriteAsync);
app.UseSerilogRequestLogging(o => o.EnrichDiagnosticContext = (diagnostics, http) =>
{
    diagnostics.Set("RequestId", http.TraceIdentifier);
    if (http.User.TryGetTenantId() is { } tenant)
    {
        diagnostics.Set("TenantId", tenant);
    }
});
app.UseHttpMetrics();

// Before authentication: the API description is public; every operation in it still needs a key.
app.UseSwagger();
app.UseSwaggerUI(o => o.SwaggerEndpoint("/swagger/v1/swagger.json", "Detector API v1"));

app.UseAuthentication();
app.Use(async (http, next) =>
{
    using (LogContext.PushProperty("RequestId", http.TraceIdentifier))
    using (LogContext.PushProperty("TenantId", http.User.TryGetTenantId()))
    {
        await next(http);
    }
});
app.UseAuthorization();

app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
app.MapMetrics("/metrics").AllowAnonymous();
app.MapGet("/", () => TypedResults.Redirect("/swagger")).ExcludeFromDescription().AllowAnonymous();

app.MapTenancyEndpoints();
app.MapModelsEndpoints();
app.MapIngestionEndpoints();
app.MapResultsEndpoints();
app.MapJobsEndpoints();

await app.RunAsync();
return 0;

/// <summary>Entry point type for WebApplicationFactory in the tests.</summary>
public partial class Program;
