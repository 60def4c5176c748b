using Microsoft.AspNetCore.Mvc;
using Detector.Modules.Detection.Contracts;

namespace Detector.Modules.Jobs.SubmitJob;

/// <summary>Options of POST /v1/jobs: query parameters for multipart uploads, or fields of the JSON body.</summary>
internal sealed class SubmitJobRequest : DetectionQueryParameters
{
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
