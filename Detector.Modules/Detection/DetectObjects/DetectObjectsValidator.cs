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
        RuleFor(r => r.SubjectId).Matches("^[A-Za-z0-9._:@-]{1,128}$").When(r => r.SubjectId is not null)
            .WithMessage("X-Subject-Id must be 1-128 characters of A-Z, a-z, 0-9, '.', '_', ':', '@', '-'.");
    }
}
