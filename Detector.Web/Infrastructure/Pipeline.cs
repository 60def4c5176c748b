using Detector.Modules.Common.Database;
using Detector.Modules.Tenancy;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Prometheus;
using Serilog;
using Serilog.Events;
using ILogger = Microsoft.Extensions.Logging.ILogger;
using Serilog.Context;

namespace Detector.Web.Infrastructure;

/// <summary>Start-up checks, the middleware order and the endpoints every Detector process serves.</summary>
internal static partial class Pipeline
{
    /// <summary>
    /// Validates every option and applies the migrations before anything listens: a misconfigured
    /// replica must never report ready. False (with one critical log line) means do not start.
    /// </summary>
    public static async Task<bool> ValidateAndMigrateAsync(this WebApplication app)
    {
        try
        {
            app.Services.GetRequiredService<IStartupValidator>().Validate();
            if (app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStart)
            {
                await app.Services.GetRequiredService<MigrationRunner>().MigrateAsync(CancellationToken.None);
            }

            return true;
        }
        catch (Exception ex) when (Failures(ex) is { } failures)
        {
            LogInvalidConfiguration(app.Logger, string.Join("; ", failures));
            return false;
        }
        catch (Npgsql.NpgsqlException ex)
        {
            LogDatabaseUnavailable(app.Logger, ex.Message);
            return false;
        }
    }

    /// <summary>
    /// Load shedding (429, and 503 with Retry-After) is logged at Debug, below the default
    /// minimum: under overload or an outage it is answered hundreds of times a second, and a line
    /// each would cost the CPU the refusals save and let any client fill the disk. Metrics count
    /// every one, and <c>ProblemLog</c> writes one warning per code every 10 s. Other 5xx answers
    /// and exceptions are errors; the rest is the access log at Information.
    /// </summary>
    internal static LogEventLevel RequestLogLevel(HttpContext http, double elapsedMs, Exception? exception)
    {
        var status = http.Response.StatusCode;
        if (exception is not null)
        {
            return LogEventLevel.Error;
        }

        if (status == StatusCodes.Status429TooManyRequests || (status == StatusCodes.Status503ServiceUnavailable && http.Response.Headers.ContainsKey(HeaderNames.RetryAfter)))
        {
            return LogEventLevel.Debug;
        }

        return status >= 500 ? LogEventLevel.Error : LogEventLevel.Information;
    }

    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        // Request logging and HTTP metrics outside the exception handler, so they record the status
        // the client got: inside it, every 4xx problem thrown as an exception was logged and
        // counted as a 500 error.
        app.UseForwardedClient();
        app.UseSerilogRequestLogging(o =>
        {
            o.EnrichDiagnosticContext = (diagnostics, http) =>
            {
                diagnostics.Set("RequestId", http.TraceIdentifier);
                if (http.User.TryGetTenantId() is { } tenant)
                {
                    diagnostics.Set("TenantId", tenant);
                }
            };
            o.GetLevel = RequestLogLevel;
        });
        app.UseDetectorHttpMetrics();
        app.UseHttpsPolicy();
        app.UseDrainingConnectionClose();
        app.UseExceptionHandler();
        app.UseStatusCodePages(EdgeProblems.WriteAsync);
        app.UseTryPage();

        // Preflights carry no key: answered from memory before the breaker and authentication, so
        // never 401 or 503 (ADR 0027).
        app.UseCorsPreflight();

        // Inside the exception handler (its refusal is a problem+json), before authentication
        // (which reads keys from the database).
        app.UseDatabaseBreaker();

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
        // After authentication: the tenant policy partitions by the caller's tenant.
        app.UseRateLimiter();
        return app;
    }

    public static WebApplication MapServiceDefaults(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
        app.MapMetrics("/metrics").AllowAnonymous();
        return app;
    }

    private static IEnumerable<string>? Failures(Exception ex) => ex switch
    {
        OptionsValidationException o => o.Failures,
        AggregateException a when a.InnerExceptions.All(e => e is OptionsValidationException) => a.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures),
        _ => null,
    };

    [LoggerMessage(Level = LogLevel.Critical, Message = "Invalid configuration, not starting: {Failures}")]
    private static partial void LogInvalidConfiguration(ILogger logger, string failures);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Database unavailable at start-up, not starting: {Reason}")]
    private static partial void LogDatabaseUnavailable(ILogger logger, string reason);
}
