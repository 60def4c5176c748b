using Detector.Modules.Inference.Contracts;
using Microsoft.AspNetCore.Mvc;

namespace Detector.Modules.Ingestion.SubmitImage;

/// <summary>Query options of POST /v1/detect; the image itself is the body.</summary>
internal sealed class SubmitImageRequest : DetectionQueryParameters
{
    /// <summary>Milliseconds the caller will wait; queued work past it is dropped with 504.</summary>
    [FromHeader(Name = "X-Deadline-Ms")]
    public int? DeadlineMs { get; set; }
}
