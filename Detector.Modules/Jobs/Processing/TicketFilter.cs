using Detector.Modules.Jobs.Storage;
using Detector.Modules.Jobs.Webhooks;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Hangfire.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Jobs.Processing;

/// <summary>
/// When a Hangfire job that carries our work ends without doing it (failed after its automatic
/// retries, or deleted from the dashboard), the items and webhook it was the ticket of lose that
/// ticket, and the recovery sweep dispatches them again. This is how recovery learns of Hangfire
/// outcomes without reading Hangfire's tables.
/// </summary>
internal sealed partial class TicketFilter(RecoveryQueries recovery, ILogger<TicketFilter> logger) : IApplyStateFilter
{
    public void OnStateApplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
    {
        if (context.NewState is not (FailedState or DeletedState)
            || context.BackgroundJob?.Job?.Type is not { } type
            || (type != typeof(JobWorker) && type != typeof(WebhookSender)))
        {
            return;
        }

        var cleared = recovery.ClearTicket(context.BackgroundJob.Id);
        LogTicketCleared(logger, context.BackgroundJob.Id, context.NewState.Name, cleared);
    }

    public void OnStateUnapplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
    {
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hangfire job {HangfireJobId} ended {State}; {Count} row(s) lost their ticket and will be dispatched again")]
    private static partial void LogTicketCleared(ILogger logger, string hangfireJobId, string state, int count);
}

/// <summary>
/// Hangfire's filters (attributes, global ones) plus this host's <see cref="TicketFilter"/>, without
/// touching the static GlobalJobFilters; and the automatic retries of our jobs from Jobs options
/// (in place of Hangfire's default), which an attribute could only hard-code.
/// </summary>
internal sealed class JobsFilterProvider(TicketFilter ticketFilter, IOptions<JobsOptions> options) : IJobFilterProvider
{
    public IEnumerable<JobFilter> GetFilters(Job job)
    {
        var filters = JobFilterProviders.Providers.GetFilters(job);
        if (RetryOf(job) is { } retry)
        {
            filters = filters.Where(f => f.Instance is not AutomaticRetryAttribute).Append(new JobFilter(retry, JobFilterScope.Method, null));
        }

        return filters.Append(new JobFilter(ticketFilter, JobFilterScope.Global, null));
    }

    private AutomaticRetryAttribute? RetryOf(Job? job)
    {
        var settings = options.Value;
        return job?.Type switch
        {
            { } t when t == typeof(JobWorker) => new AutomaticRetryAttribute { Attempts = settings.ChunkRetryAttempts, DelaysInSeconds = [.. settings.ResolveChunkRetryDelays()] },
            { } t when t == typeof(WebhookSender) => new AutomaticRetryAttribute { Attempts = settings.WebhookJobRetryAttempts, DelaysInSeconds = [.. settings.ResolveWebhookJobRetryDelays()] },
            _ => null,
        };
    }
}
