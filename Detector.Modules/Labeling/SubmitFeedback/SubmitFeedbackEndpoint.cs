using System.Security.Claims;
using Detector.Modules.Labeling.Storage;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Labeling.SubmitFeedback;

/// <summary>Feedback on a served result: what was wrong with it, in the result's image pixels.</summary>
internal sealed record SubmitFeedbackRequest(string? Kind, int? DetectionIndex, PixelBox? Box, string? Label, string? Note);

internal sealed class SubmitFeedbackValidator : AbstractValidator<SubmitFeedbackRequest>
{
    public const string BoxAdded = "box_added";
    public const string BoxRemoved = "box_removed";
    public const string LabelChanged = "label_changed";
    public const string ResultWrong = "result_wrong";

    public SubmitFeedbackValidator(IOptions<LabelingOptions> options)
    {
        RuleFor(r => r.Kind).NotEmpty().Must(k => k is BoxAdded or BoxRemoved or LabelChanged or ResultWrong)
            .WithMessage($"kind must be one of {BoxAdded}, {BoxRemoved}, {LabelChanged}, {ResultWrong}.");
        RuleFor(r => r.DetectionIndex).NotNull().GreaterThanOrEqualTo(0).When(r => r.Kind is BoxRemoved or LabelChanged)
            .WithMessage("detection_index (0 or more) is required for box_removed and label_changed.");
        RuleFor(r => r.DetectionIndex).Null().When(r => r.Kind is BoxAdded or ResultWrong).WithMessage("detection_index is only for box_removed and label_changed.");
        RuleFor(r => r.Box).NotNull().When(r => r.Kind == BoxAdded).WithMessage("box is required for box_added.");
        RuleFor(r => r.Box).Null().When(r => r.Kind != BoxAdded).WithMessage("box is only for box_added.");
        RuleFor(r => r.Box!).Must(b => BoxRule.Holds(b.X, b.Y, b.Width, b.Height))
            .When(r => r.Box is not null).WithMessage("box needs x, y of 0 or more and a positive width and height.");
        RuleFor(r => r.Label).NotEmpty().MaximumLength(200).When(r => r.Kind is BoxAdded or LabelChanged).WithMessage("label (a class name, at most 200 characters) is required for box_added and label_changed.");
        RuleFor(r => r.Label).Null().When(r => r.Kind is BoxRemoved or ResultWrong).WithMessage("label is only for box_added and label_changed.");
        RuleFor(r => r.Note).MaximumLength(options.Value.MaxNoteLength);
    }
}

/// <summary>POST /v1/results/{id}/feedback (validated by <see cref="SubmitFeedbackValidator"/>): 201 with the stored feedback and whether it may feed the labeling queue.</summary>
internal static class SubmitFeedbackEndpoint
{
    public static async Task<Created<FeedbackView>> Handle(Guid id, SubmitFeedbackRequest request, ClaimsPrincipal user, SubmitFeedbackHandler handler, CancellationToken ct)
    {
        var feedback = await handler.HandleAsync(user.GetTenantId(), id, request, ct);
        return TypedResults.Created($"/v1/results/{id}/feedback", feedback);
    }
}
