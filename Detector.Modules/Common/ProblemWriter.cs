using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Mvc;

namespace Detector.Modules.Common;

/// <summary>
/// The HTTP edge of a domain outcome: writes RFC 7807 answers with the stable `code` extension
/// every client can branch on, the status and headers from <see cref="OutcomeTable"/>.
/// </summary>
public static class ProblemWriter
{
    public const string ContentType = "application/problem+json";

    public static ProblemDetails Create(HttpContext context, DomainException problem)
    {
        var details = new ProblemDetails
        {
            Type = "https://detector.dev/problems/" + problem.Code.Replace('_', '-'),
            Title = problem.Title,
            Status = OutcomeTable.StatusOf(problem.Kind),
            Detail = problem.Detail,
            Instance = context.Request.Path,
        };
        details.Extensions["code"] = problem.Code;
        foreach (var (name, value) in problem.Extensions ?? new Dictionary<string, object?>())
        {
            details.Extensions[name] = value;
        }

        details.Extensions["trace_id"] = Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;
        return details;
    }

    public static async Task WriteAsync(HttpContext context, DomainException problem)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = OutcomeTable.StatusOf(problem.Kind);
        if (problem.RetryAfterSeconds is { } retry && OutcomeTable.CarriesRetryAfter(problem.Kind))
        {
            context.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        }

        await context.Response.WriteAsJsonAsync(Create(context, problem), (System.Text.Json.JsonSerializerOptions?)null, ContentType, context.RequestAborted);
    }

    /// <summary>A DomainException as an endpoint result, for TypedResults-style handlers.</summary>
    public static ProblemResult ToResult(this DomainException problem) => new(problem);
}

/// <summary>
/// A problem answered without throwing it (a refusal on the hot path: no stack unwound through
/// the middleware); logged like one the exception handler answers.
/// </summary>
/// <remarks>
/// Its status is known before it runs (<see cref="IStatusCodeHttpResult"/>), so endpoint filters
/// that act on the outcome (the audit trail skips 429 and 503) see the refusal, not the 200 the
/// response still says until the result has been written.
/// </remarks>
public sealed class ProblemResult(DomainException problem) : IResult, IStatusCodeHttpResult
{
    public DomainException Problem { get; } = problem;

    public int? StatusCode => OutcomeTable.StatusOf(Problem.Kind);

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        httpContext.RequestServices.GetService<ProblemLog>()?.Answered(httpContext.Request.Path, Problem, Problem.Detail ?? Problem.Title);
        return ProblemWriter.WriteAsync(httpContext, Problem);
    }
}
