using System.Text.Json;
using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.OpenApi;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Serilog;
using Serilog.Formatting.Compact;

namespace Detector.Web.Infrastructure;

/// <summary>
/// What every Detector process has whatever its modules (eShop's AddServiceDefaults): Serilog,
/// snake_case JSON, problem details, the OpenAPI description, OpenTelemetry traces and health checks.
/// </summary>
internal static class ServiceDefaults
{
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder)
    {
        LastChanceHandler.Install(); // from the first line: a crash while building the host names itself too
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

        var services = builder.Services;
        services.AddValidatedOptions<DeploymentOptions>(DeploymentOptions.SectionName);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        // Swashbuckle names schema properties from MVC's JSON options, not the minimal APIs' above:
        // without this the OpenAPI document said createdAt where every answer says created_at.
        services.Configure<Microsoft.AspNetCore.Mvc.JsonOptions>(o => o.JsonSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ProblemLog>();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
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

        // Traces: the pipeline's own spans (detect > preprocess / inference / postprocess, jobs),
        // ASP.NET Core, outgoing HTTP and Npgsql, exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("detector"))
            .WithTracing(tracing =>
            {
                tracing.AddSource(DetectorTelemetry.SourceName, "Npgsql")
                    .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/metrics") && !http.Request.Path.StartsWithSegments("/health"))
                    .AddHttpClientInstrumentation();
                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }
            });
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"])
            .AddCheck<ModelsHealthCheck>("models", tags: ["ready"]);
        services.AddGracefulShutdown();
        services.AddHttpServerLimits();
        services.AddTransport();
        return builder;
    }
}
