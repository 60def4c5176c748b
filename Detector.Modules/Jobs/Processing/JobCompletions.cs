using Detector.Modules.Jobs.Storage;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Jobs.Processing;

/// <summary>What follows a job reaching a terminal status (its last item finished, or it was cancelled): metrics, a log line, and its webhook.</summary>
internal sealed partial class JobCompletions(JobDispatcher dispatcher, ILogger<JobCompletions> logger)
{
    public async Task OnCompletedAsync(JobCompletion completion, CancellationToken ct)
    {
        var seconds = (completion.FinishedAt - completion.CreatedAt).TotalSeconds;
        JobsMetrics.CompletionTime.WithLabels(completion.Status).Observe(Math.Max(0, seconds));
        LogCompleted(logger, completion.JobId, completion.Status, seconds);
        if (completion.HasCallback)
        {
            // If this enqueue is lost (crash), the sweep finds the pending webhook and enqueues it.
            await dispatcher.EnqueueWebhookAsync(completion.JobId, null, ct);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} finished {Status} after {Seconds:F1} s")]
    private static partial void LogCompleted(ILogger logger, Guid jobId, string status, double seconds);
}
