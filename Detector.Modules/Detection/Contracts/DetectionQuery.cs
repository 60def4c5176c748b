using FluentValidation;
using Microsoft.AspNetCore.Mvc;

namespace Detector.Modules.Detection.Contracts;

/// <summary>
/// The detection options a client may send (sync detect, async jobs); null means the default. The
/// HTTP shape of a detection request lives here, with the module that owns those requests, so
/// Inference stays free of ASP.NET types.
/// </summary>
public interface IDetectionQuery
{
    string? Model { get; }

    float? MinScore { get; }

    float? Iou { get; }

    int? MaxDetections { get; }
}

/// <summary>
/// The detection options as query parameters, one declaration for every endpoint that takes them
/// (POST /v1/detect, POST /v1/jobs); each endpoint's request adds its own fields.
/// </summary>
public abstract class DetectionQueryParameters : IDetectionQuery
{
    /// <summary>Model name (GET /v1/models), or <c>name@version</c> / <c>name@alias</c> to pin a version (never served by a stand-in); the default model when absent.</summary>
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
}

/// <summary>One set of rules for every endpoint that takes detection options.</summary>
public sealed class DetectionQueryValidator : AbstractValidator<IDetectionQuery>
{
    public DetectionQueryValidator()
    {
        RuleFor(r => r.Model).MaximumLength(100).Matches("^[A-Za-z0-9_.-]+(@[A-Za-z0-9_.-]+)?$").When(r => r.Model is not null)
            .WithMessage("model must be a model name from GET /v1/models, optionally pinned to one of its versions or aliases as name@version or name@alias (name@production, name@canary).");
        RuleFor(r => r.MinScore).InclusiveBetween(0f, 1f).When(r => r.MinScore.HasValue).WithMessage("min_score must be between 0 and 1.");
        RuleFor(r => r.Iou).InclusiveBetween(0f, 1f).When(r => r.Iou.HasValue).WithMessage("iou must be between 0 and 1.");
        RuleFor(r => r.MaxDetections).InclusiveBetween(1, 1000).When(r => r.MaxDetections.HasValue).WithMessage("max_detections must be between 1 and 1000.");
    }
}
