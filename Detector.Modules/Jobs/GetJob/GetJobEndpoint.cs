using Detector.Modules.Common;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Webhooks.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Jobs.GetJob;

internal sealed record JobCounts(int Total, int Succeeded, int Failed, int Cancelled, int Pending);

internal sealed record WebhookAttemptView(int Attempt, DateTimeOffset AttemptedAt, int? StatusCode, string? Error, double DurationMs);

internal sealed record WebhookView(string Url, string? Status, IReadOnlyList<WebhookAttemptView> Attempts);

internal sealed record JobView(
    Guid Id,
    string Status,
    string Source,
    string Priority,
    string? Model,
    JobCounts Counts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    bool CancelRequested,
    string StatusUrl,
    string ResultsUrl,
    WebhookView? Webhook)
{
    public static JobView From(JobRow job, IReadOnlyList<WebhookAttempt> attempts) => new(
        job.Id,
        job.Status,
        job.Source,
        job.Priority,
        job.Model,
        new JobCounts(job.Total, job.Succeeded, job.Failed, job.Cancelled, job.Total - job.Succeeded - job.Failed - job.Cancelled),
        Utc(job.CreatedAt),
        job.StartedAt is { } s ? Utc(s) : null,
        job.FinishedAt is { } f ? Utc(f) : null,
        job.CancelRequested,
        JobSubmitter.StatusUrl(job.Id),
        JobSubmitter.StatusUrl(job.Id) + "/results",
        job.CallbackUrl is null ? null : new WebhookView(
            job.CallbackUrl,
            job.WebhookStatus,
            attempts.Select(a => new WebhookAttemptView(a.Attempt, Utc(a.AttemptedAt), a.StatusCode, a.Error, Math.Round(a.DurationMs, 1))).ToList()));

    public static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
}

internal static class GetJobEndpoint
{
    public static async Task<Results<Ok<JobView>, ProblemHttpResult>> Handle(Guid id, HttpContext http, GetJobHandler handler, CancellationToken ct) =>
        await handler.HandleAsync(http.User.GetTenantId(), id, ct) is { } view ? TypedResults.Ok(view) : NotFound(http, id);

    public static ProblemHttpResult NotFound(HttpContext http, Guid id) =>
        TypedResults.Problem(ProblemWriter.Create(http, new DomainException(OutcomeKind.NotFound, ErrorCodes.JobNotFound, "Job not found", $"No job {id}.")));
}
