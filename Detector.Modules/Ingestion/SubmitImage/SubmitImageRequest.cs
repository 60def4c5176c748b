using Detector.Modules.Inference.Contracts;
using Microsoft.AspNetCore.Mvc;

namespace Detector.Modules.Ingestion.SubmitImage;

/// <summary>Query options of POST /v1/detect; the image itself is the body.</summary>
internal sealed class SubmitImageRequest : IDetectionQuery
{
    /// <summary>Model name (GET /v1/models); the default model when absent.</summary>
    [FromQuery(Name = "model")]
    public string? Model { get; set; }

    /// <summary>Smallest score returned, 0..1 (default 0.25).</summary>
    [FromQuery(Name = "min_score")]
    public float? MinScore { get; set; }

    /// <summary>IoU above which NMS suppresses a same-class box, 0..1 (default 0.45).</summary>
    [FromQuery(Name = "iou")]
    public float? Iou { get; set; }

    /// <summary>Most boxes returned, 1..1000 (default 100).</summary>
    [FromQuery(Name = "max_detections")]
    public int? MaxDetections { get; set; }

    /// <summary>Milliseconds the caller will wait; queued work past it is dropped with 504.</summary>
    [FromHeader(Name = "X-Deadline-Ms")]
    public int? DeadlineMs { get; set; }
}
