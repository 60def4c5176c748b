using Detector.Modules.Common;
using Microsoft.AspNetCore.Diagnostics;

namespace Detector.Web.Infrastructure;

/// <summary>
/// Turns every failure into application/problem+json with a stable code: module problems keep
/// theirs, framework rejections get one, and anything unexpected is logged and answered 500
/// without internals.
/// </summary>
internal sealed partial class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger, ProblemLog problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            ProblemException p => p,
            BadHttpRequestException { StatusCode: 413 } => new ProblemException(413, ErrorCodes.PayloadTooLarge, "Payload too large", "The request body is larger than allowed."),
            BadHttpRequestException b => new ProblemException(b.StatusCode, ErrorCodes.ValidationFailed, "Bad request", b.Message),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => new ProblemException(499, "client_closed_request", "Client closed request"),
            Npgsql.NpgsqlException or TimeoutException => new ProblemException(503, ErrorCodes.StorageUnavailable, "Storage unavailable", "The database did not answer; retry shortly.") { RetryAfterSeconds = 2 },
            _ => null,
        };

        if (problem is null)
        {
            LogUnhandled(logger, httpContext.Request.Path, exception);
            problem = new ProblemException(500, ErrorCodes.Internal, "Internal error", "An unexpected error occurred; it has been logged.");
        }
        else if (problem.Status >= 500)
        {
            problems.Answered(httpContext.Request.Path, problem, exception.InnerException?.Message ?? exception.Message);
        }

        await ProblemWriter.WriteAsync(httpContext, problem);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception on {Path}")]
    private static partial void LogUnhandled(ILogger logger, string path, Exception exception);
}

internal static class StatusCodeProblems
{
    /// <summary>Routing misses and method mismatches get problem+json too, not empty bodies.</summary>
    public static Task WriteAsync(StatusCodeContext context)
    {
        var status = context.HttpContext.Response.StatusCode;
        var problem = status switch
        {
            404 => new ProblemException(404, ErrorCodes.NotFound, "Not found", "No such resource."),
            405 => new ProblemException(405, "method_not_allowed", "Method not allowed"),
            415 => new ProblemException(415, ErrorCodes.UnsupportedMediaType, "Unsupported media type"),
            _ => new ProblemException(status, "http_" + status, "HTTP " + status),
        };
        return ProblemWriter.WriteAsync(context.HttpContext, problem);
    }
}
