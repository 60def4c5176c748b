using FluentValidation;
using Microsoft.Extensions.Options;
using Detector.Modules.Detection.Contracts;

namespace Detector.Modules.Detection.DetectObjects;

internal sealed class DetectObjectsValidator : AbstractValidator<DetectObjectsRequest>
{
    public DetectObjectsValidator(IOptions<DetectApiOptions> options)
    {
        Include(new DetectionQueryValidator());
        RuleFor(r => r.DeadlineMs).InclusiveBetween(1, options.Value.MaxDeadlineMs).When(r => r.DeadlineMs.HasValue)
            .WithMessage($"X-Deadline-Ms must be between 1 and {options.Value.MaxDeadlineMs}.");
    }
}
