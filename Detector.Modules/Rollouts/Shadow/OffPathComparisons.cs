using System.Diagnostics;
using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Rollouts.Comparison;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Rollouts.Shadow;

/// <summary>
/// Sees every detection the pipeline ran, records it in its variant's window, and sends a sample
/// off the request's path to be compared: a production request runs again on the model's
/// <c>shadow</c> version, a canary's (or an A/B variant's) on production. The copies wait in a
/// small queue and run one at a time, at background priority, only once no interactive request is
/// in flight, so a lone request keeps its all-cores run; under load they are dropped first,
/// counted (<c>detector_rollout_comparisons_total{outcome}</c>).
/// </summary>
internal sealed partial class OffPathComparisons(
    IObjectDetector detector,
    IInferenceLoad load,
    ComparisonQueue queue,
    RolloutState state,
    DisagreementReports disagreements,
    ILogger<OffPathComparisons> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var pending in queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await CompareAsync(pending, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // One comparison failing (the other version unloaded meanwhile, overload) costs only itself.
                RolloutMetrics.Comparisons.WithLabels(pending.Model, pending.Candidate, ex is DomainException d ? d.Code : "error").Inc();
                LogComparisonFailed(logger, pending.Model, pending.Other, ex);
            }
        }
    }

    private async Task CompareAsync(Pending pending, CancellationToken stop)
    {
        // Only on cores the interactive path leaves: wait for it to go idle, or drop the copy.
        var maxWait = queue.MaxWait;
        while (load.InteractiveInFlight > 0)
        {
            if (Stopwatch.GetElapsedTime(pending.Queued) > maxWait)
            {
                RolloutMetrics.Comparisons.WithLabels(pending.Model, pending.Candidate, "dropped_busy").Inc();
                return;
            }

            await Task.Delay(2, stop);
        }

        var outcome = await detector.DetectAsync(
            new DetectionRequest
            {
                Image = pending.Image,
                Model = pending.Model + ModelSelector.Separator + pending.Other,
                Options = pending.Options,
                Priority = DetectionPriority.Background,
                TenantId = pending.TenantId,
                AllowDegradation = false,
                OffPath = true,
            },
            stop);

        // The candidate is the shadow, or the variant the request was served by.
        var (candidate, version, candidateDetections, candidateMs, reference, referenceMs) = pending.Other == ModelAliases.Shadow
            ? (ModelAliases.Shadow, outcome.ModelVersion, outcome.Detections, outcome.Timings.TotalMs, pending.Detections, pending.TotalMs)
            : (pending.Variant, pending.Version, pending.Detections, pending.TotalMs, outcome.Detections, outcome.Timings.TotalMs);
        var comparison = DetectionComparer.Compare(candidateDetections, reference);
        state.For(pending.Model).Add(candidate, version, new Compared(state.Now, comparison, candidateMs, referenceMs));
        RolloutMetrics.Comparisons.WithLabels(pending.Model, candidate, "compared").Inc();
        RolloutMetrics.Matched(pending.Model, candidate, comparison);
        var (production, judged) = pending.Other == ModelAliases.Shadow ? (pending.Version, outcome.ModelVersion) : (outcome.ModelVersion, pending.Version);
        await disagreements.ReportAsync(pending, production, judged, comparison, stop);
    }


    [LoggerMessage(Level = LogLevel.Warning, Message = "An off-path comparison of {Model} with {Other} failed")]
    private static partial void LogComparisonFailed(ILogger logger, string model, string other, Exception exception);
}
