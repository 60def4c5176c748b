using Detector.Modules.Inference.Contracts;
using Microsoft.AspNetCore.Mvc;

namespace Detector.Modules.Jobs.SubmitJob;

/// <summary>Options of POST /v1/jobs: query parameters for multipart uploads, or fields of the JSON body.</summary>
internal sealed class SubmitJobRequest : IDetectionQuery
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

    /// <summary>Most boxes per image, 1..1000 (default 100).</summary>
    [FromQuery(Name = "max_detections")]
    public int? MaxDetections { get; set; }

    /// <summary>http(s) URL that gets a signed POST when the job finishes.</summary>
    [FromQuery(Name = "callback_url")]
    public string? CallbackUrl { get; set; }

    /// <summary>high, normal (default) or low: which Hangfire queue the items go to.</summary>
    [FromQuery(Name = "priority")]
    public string? Priority { get; set; }
}

/// <summary>The JSON form of POST /v1/jobs: image URLs the workers fetch.</summary>
internal sealed class SubmitJobBody
{
    public IList<string>? Urls { get; init; }

    public string? Model { get; init; }

    public float? MinScore { get; init; }

    public float? Iou { get; init; }

    public int? MaxDetections { get; init; }

    public string? CallbackUrl { get; init; }

    public string? Priority { get; init; }
}
