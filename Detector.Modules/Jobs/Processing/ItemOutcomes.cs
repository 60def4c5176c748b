using Detector.Modules.Common;
using Detector.Modules.Common.Resilience;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Outbound.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Jobs.Processing;

/// <summary>
/// How an item ends: succeeded, failed for good (the caller's fault, or its attempts used up), or
/// put back for a retry after a transient failure, with jittered exponential backoff
/// (Jobs:RetryInitialDelaySeconds doubling to Jobs:RetryMaxDelaySeconds, Jobs:MaxAttempts in all).
/// </summary>
internal sealed partial class ItemOutcomes(
    ItemTransitions transitions,
    WorkerIdentity worker,
    JobDispatcher dispatcher,
    JobCompletions completions,
    IOptions<JobsOptions> options,
    ILogger<ItemOutcomes> logger)
{
    public async Task FinishAsync(JobRow job, int idx, string state, Guid? resultId, string? code, string? detail, CancellationToken ct)
    {
        var (changed, completion) = await transitions.FinishAsync(job.Id, idx, state, resultId, code, detail, worker.Instance, ct);
        if (!changed)
        {
            return;
        }

        JobsMetrics.Items.WithLabels(state).Inc();
        if (completion is not null)
        {
            await completions.OnCompletedAsync(completion, ct);
        }
    }

    /// <summary>An item claimed more often than Jobs:MaxAttempts: the processes that ran it stopped each time.</summary>
    public Task ExhaustedAsync(JobRow job, ItemRow item, CancellationToken ct)
    {
        LogAttemptsExhausted(logger, job.Id, item.Idx, item.Attempts - 1);
        return FinishAsync(job, item.Idx, ItemState.Failed, null, ErrorCodes.AttemptsExhausted,
            $"{item.Attempts - 1} attempts ended without a result (the processes running them stopped); the item is not tried again.", ct);
    }

    /// <summary>A failed attempt: permanent failures end the item, transient ones are retried until the attempts are used up.</summary>
    public async Task FailedAsync(JobRow job, ItemRow item, Exception ex, CancellationToken ct)
    {
        if (IsPermanent(ex, out var permanentCode, out var permanentDetail))
        {
            await FinishAsync(job, item.Idx, ItemState.Failed, null, permanentCode, permanentDetail, ct);
            return;
        }

        var settings = options.Value;
        var (code, detail) = Describe(ex);
        if (item.Attempts >= settings.MaxAttempts)
        {
            LogGaveUp(logger, job.Id, item.Idx, item.Attempts, code, ex);
            await FinishAsync(job, item.Idx, ItemState.Failed, null, code, detail, ct);
            return;
        }

        var delay = Backoff.Jittered(item.Attempts, settings.RetryInitialDelaySeconds, settings.RetryMaxDelaySeconds);
        LogRetry(logger, job.Id, item.Idx, item.Attempts, code, delay.TotalSeconds);
        JobsMetrics.ItemRetries.Inc();
        if (await transitions.RequeueForRetryAsync(job.Id, item.Idx, worker.LeaseOwner, code, detail, ct))
        {
            // A crash before the retry is scheduled leaves the item queued without a ticket: the sweep dispatches it.
            await dispatcher.ScheduleRetryAsync(job.TenantId, job.Id, item.Idx, item.Queue, delay, ct);
        }
    }

    /// <summary>Client-side problems (bad image, unknown model, forbidden URL) never get better by retrying.</summary>
    private static bool IsPermanent(Exception ex, out string code, out string detail)
    {
        switch (ex)
        {
            case DomainException { IsCallersFault: true } p:
                code = p.Code;
                detail = p.Detail ?? p.Title;
                return true;
            case UrlFetchException { Transient: false } u:
                code = u.Code;
                detail = u.Message;
                return true;
            default:
                code = "";
                detail = "";
                return false;
        }
    }

    private static (string Code, string Detail) Describe(Exception ex) => ex switch
    {
        DomainException p => (p.Code, p.Detail ?? p.Title),
        UrlFetchException u => (u.Code, u.Message),
        TimeoutException => (ErrorCodes.DeadlineExceeded, ex.Message),
        _ => (ErrorCodes.Internal, ex.GetType().Name + ": " + ex.Message),
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} item {Index}: {Attempts} attempts ended without a result; failing it as attempts_exhausted")]
    private static partial void LogAttemptsExhausted(ILogger logger, Guid jobId, int index, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} item {Index} failed transiently ({Code}) on attempt {Attempt}; retrying in {DelaySeconds} s")]
    private static partial void LogRetry(ILogger logger, Guid jobId, int index, int attempt, string code, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} item {Index} failed after {Attempts} attempts ({Code})")]
    private static partial void LogGaveUp(ILogger logger, Guid jobId, int index, int attempts, string code, Exception exception);
}
