using System.Diagnostics;
using Detector.Modules.Common;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Detector.Web.Infrastructure;

/// <summary>
/// Turns every failure into application/problem+json with a stable code: domain outcomes through
/// the one outcome table (<see cref="OutcomeTable"/>), framework rejections with theirs, and
/// anything unexpected logged and answered 500 without internals.
/// </summary>
internal sealed partial class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger, ProblemLog problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            // Framework rejections keep the status the framework chose (400, 408, 413, 431...).
            case BadHttpRequestException { StatusCode: 413 }:
                await ProblemWriter.WriteAsync(httpContext, new DomainException(OutcomeKind.TooLarge, ErrorCodes.PayloadTooLarge, "Payload too large", "The request body is larger than allowed."));
                return true;
            case BadHttpRequestException b:
                await EdgeProblems.WriteAsync(httpContext, b.StatusCode, ErrorCodes.ValidationFailed, "Bad request", b.Message);
                return true;
            case OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested:
                await EdgeProblems.WriteAsync(httpContext, 499, "client_closed_request", "Client closed request", null);
                return true;
        }

        var problem = exception switch
        {
            DomainException p => p,
            Npgsql.NpgsqlException or TimeoutException => new DomainException(OutcomeKind.Unavailable, ErrorCodes.StorageUnavailable, "Storage unavailable", "The database did not answer; retry shortly.") { RetryAfterSeconds = 2 },
            _ => null,
        };

        if (problem is null)
        {
            LogUnhandled(logger, httpContext.Request.Path, exception);
            problem = new DomainException(OutcomeKind.Internal, ErrorCodes.Internal, "Internal error", "An unexpected error occurred; it has been logged.");
        }
        else
        {
            problems.Answered(httpContext.Request.Path, problem, exception.InnerException?.Message ?? exception.Message);
        }

        await ProblemWriter.WriteAsync(httpContext, problem);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception on {Path}")]
    private static partial void LogUnhandled(ILogger logger, string path, Exception exception);
}

/// <summary>
/// Answers the framework gives before any module runs (routing misses, method mismatches, a
/// client gone), whose status is the HTTP layer's own: the only raw statuses the service writes.
/// </summary>
internal static class EdgeProblems
{
    /// <summary>Routing misses and method mismatches get problem+json too, not empty bodies.</summary>
    public static Task WriteAsync(StatusCodeContext context)
    {
        var status = context.HttpContext.Response.StatusCode;
        return status switch
        {
            404 => ProblemWriter.WriteAsync(context.HttpContext, new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Not found", "No such resource.")),
            415 => ProblemWriter.WriteAsync(context.HttpContext, new DomainException(OutcomeKind.UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "Unsupported media type")),
            405 => WriteAsync(context.HttpContext, 405, "method_not_allowed", "Method not allowed", null),
            _ => WriteAsync(context.HttpContext, status, "http_" + status, "HTTP " + status, null),
        };
    }

    public static async Task WriteAsync(HttpContext context, int status, string code, string title, string? detail)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        var details = new ProblemDetails
        {
            Type = "https://detector.dev/problems/" + code.Replace('_', '-'),
            Title = title,
            Status = status,
            Detail = detail,
            Instance = context.Request.Path,
        };
        details.Extensions["code"] = code;
        details.Extensions["trace_id"] = Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(details, (System.Text.Json.JsonSerializerOptions?)null, ProblemWriter.ContentType, context.RequestAborted);
    }
}
