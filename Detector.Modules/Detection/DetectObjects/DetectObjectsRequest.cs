using Microsoft.AspNetCore.Mvc;
using Detector.Modules.Detection.Contracts;

namespace Detector.Modules.Detection.DetectObjects;

/// <summary>Query options of POST /v1/detect; the image itself is the body.</summary>
internal sealed class DetectObjectsRequest : DetectionQueryParameters
{
    /// <summary>Milliseconds the caller will wait; queued work past it is dropped with 504.</summary>
    [FromHeader(Name = "X-Deadline-Ms")]
    public int? DeadlineMs { get; set; }

    /// <summary>
    /// false: the requested model or nothing. Under backlog the service may otherwise serve a
    /// configured cheaper stand-in (announced in X-Degradation and the result's `degradation`);
    /// a client comparing models, or one whose thresholds are tuned to one, refuses that and gets
    /// 503 with Retry-After (or a job, with Prefer: respond-async) instead. Default true.
    /// </summary>
    [FromQuery(Name = "allow_degradation")]
    public bool? AllowDegradation { get; set; }

    /// <summary>
    /// The caller's own user or device, when a model's traffic is split between variants (a
    /// canary, an A/B test): the same subject always gets the same variant. Absent: the tenant.
    /// </summary>
    [FromHeader(Name = "X-Subject-Id")]
    public string? SubjectId { get; set; }

    /// <summary>
    /// true: each detection also carries <c>calibrated_score</c>, the serving version's calibrated
    /// probability of being right (fitted by `calibrate`), when the version has a calibration.
    /// The scores, the thresholds and everything else are unchanged. Default false.
    /// </summary>
    [FromQuery(Name = "calibrated")]
    public bool? Calibrated { get; set; }
}
