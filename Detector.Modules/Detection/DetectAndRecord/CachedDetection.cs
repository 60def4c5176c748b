using System.Diagnostics;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Results.Contracts;

namespace Detector.Modules.Detection.DetectAndRecord;

/// <summary>
/// Detection through the tenant's result cache (ADR 0017): a repeat of an image the tenant still
/// has a result on, for the same model version and preprocessing, is re-thresholded from the kept
/// candidates with the request's own min_score, iou and max_detections instead of decoded and
/// run; anything else runs the model, keeping its candidates for the next repeat.
/// </summary>
internal sealed class CachedDetection(IObjectDetector detector, IResultStore results, ResultCache cache)
{
    public async Task<DetectionOutcome> DetectAsync(Guid tenantId, string? sha256, DetectionRequest request, CancellationToken cancellationToken)
    {
        if (!cache.Enabled || sha256 is null || detector.Identify(request.Model, request.Subject, tenantId) is not { } served)
        {
            return await detector.DetectAsync(request, cancellationToken);
        }

        if (request.Options.MinScore < cache.Floor)
        {
            ResultCacheMetrics.Lookups.WithLabels("bypass", served.Model, served.Version, served.Variant).Inc();
            return await detector.DetectAsync(request, cancellationToken);
        }

        var key = new ResultCacheKey(tenantId, sha256, served);
        if (cache.Find(key) is { } kept)
        {
            // Another instance may have deleted every result on this image: the store decides, so
            // detections derived from a deleted result are never served, on any instance.
            if (await results.HasResultOnImageAsync(tenantId, sha256, cancellationToken) && Rethreshold(served, kept, request) is { } hit)
            {
                ResultCacheMetrics.Lookups.WithLabels("hit", served.Model, served.Version, served.Variant).Inc();
                return hit;
            }

            cache.Remove(key, "deleted");
            ResultCacheMetrics.Lookups.WithLabels("stale", served.Model, served.Version, served.Variant).Inc();
        }
        else
        {
            ResultCacheMetrics.Lookups.WithLabels("miss", served.Model, served.Version, served.Variant).Inc();
        }

        return await detector.DetectAsync(request with { KeepCandidatesAbove = cache.Floor }, cancellationToken);
    }

    /// <summary>
    /// Keeps the candidates of a detection whose result is saved, so that the store's answer to
    /// the next lookup is true; a detection served by a stand-in or an older version keeps nothing.
    /// </summary>
    public void Keep(Guid tenantId, string sha256, DetectionOutcome outcome)
    {
        if (outcome.Candidates is not { } candidates || detector.Identify(outcome.ModelName + "@" + outcome.ModelVersion) is not { } served)
        {
            return;
        }

        cache.Add(new ResultCacheKey(tenantId, sha256, served), new CachedImage(candidates, outcome.ImageWidth, outcome.ImageHeight, outcome.ImageFormat));
    }

    private DetectionOutcome? Rethreshold(ServingIdentity served, CachedImage kept, DetectionRequest request)
    {
        var started = Stopwatch.GetTimestamp();
        if (detector.Rethreshold(served, kept.Candidates, request.Options) is not { } detections)
        {
            return null;
        }

        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Activity.Current?.SetTag("detector.cache", "hit");
        return new DetectionOutcome(served.Model, served.Version, kept.Width, kept.Height, kept.Format, detections, new DetectionTimings(0, 0, 0, ms, ms, 0))
        {
            RequestedModel = served.Model,
            Variant = served.Variant,
            FromCache = true,
        };
    }
}
