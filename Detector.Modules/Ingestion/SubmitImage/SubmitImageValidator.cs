using FluentValidation;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Ingestion.SubmitImage;

internal sealed class SubmitImageValidator : AbstractValidator<SubmitImageRequest>
{
    public SubmitImageValidator(IOptions<IngestionOptions> options)
    {
        RuleFor(r => r.Model).MaximumLength(100).Matches("^[A-Za-z0-9_.-]+$").When(r => r.Model is not null)
            .WithMessage("model must be a model name from GET /v1/models.");
        RuleFor(r => r.MinScore).InclusiveBetween(0f, 1f).When(r => r.MinScore.HasValue).WithMessage("min_score must be between 0 and 1.");
        RuleFor(r => r.Iou).InclusiveBetween(0f, 1f).When(r => r.Iou.HasValue).WithMessage("iou must be between 0 and 1.");
        RuleFor(r => r.MaxDetections).InclusiveBetween(1, 1000).When(r => r.MaxDetections.HasValue).WithMessage("max_detections must be between 1 and 1000.");
        RuleFor(r => r.DeadlineMs).InclusiveBetween(1, options.Value.MaxDeadlineMs).When(r => r.DeadlineMs.HasValue)
            .WithMessage($"X-Deadline-Ms must be between 1 and {options.Value.MaxDeadlineMs}.");
    }
}
