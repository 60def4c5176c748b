using Detector.Modules.Inference.Contracts;
using FluentValidation;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Ingestion.SubmitImage;

internal sealed class SubmitImageValidator : AbstractValidator<SubmitImageRequest>
{
    public SubmitImageValidator(IOptions<IngestionOptions> options)
    {
        Include(new DetectionQueryValidator());
        RuleFor(r => r.DeadlineMs).InclusiveBetween(1, options.Value.MaxDeadlineMs).When(r => r.DeadlineMs.HasValue)
            .WithMessage($"X-Deadline-Ms must be between 1 and {options.Value.MaxDeadlineMs}.");
    }
}
