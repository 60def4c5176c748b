using FluentValidation;

namespace Detector.Modules.Inference.Contracts;

/// <summary>The detection options a client may send (sync detect, async jobs); null means the default.</summary>
public interface IDetectionQuery
{
    string? Model { get; }

    float? MinScore { get; }

    float? Iou { get; }

    int? MaxDetections { get; }
}

/// <summary>One set of rules for every endpoint that takes detection options.</summary>
public sealed class DetectionQueryValidator : AbstractValidator<IDetectionQuery>
{
    public DetectionQueryValidator()
    {
        RuleFor(r => r.Model).MaximumLength(100).Matches("^[A-Za-z0-9_.-]+$").When(r => r.Model is not null)
            .WithMessage("model must be a model name from GET /v1/models.");
        RuleFor(r => r.MinScore).InclusiveBetween(0f, 1f).When(r => r.MinScore.HasValue).WithMessage("min_score must be between 0 and 1.");
        RuleFor(r => r.Iou).InclusiveBetween(0f, 1f).When(r => r.Iou.HasValue).WithMessage("iou must be between 0 and 1.");
        RuleFor(r => r.MaxDetections).InclusiveBetween(1, 1000).When(r => r.MaxDetections.HasValue).WithMessage("max_detections must be between 1 and 1000.");
    }
}
