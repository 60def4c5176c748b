using System.Security.Claims;
using Detector.Modules.Labeling.Authentication;
using Detector.Modules.Labeling.Consensus;
using Detector.Modules.Labeling.Storage;
using FluentValidation;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Labeling.SubmitLabels;

/// <summary>A label set: every object in the image, as boxes in image pixels (an empty list: nothing to label).</summary>
internal sealed record LabelSetRequest(IReadOnlyList<LabelBox>? Boxes);

/// <summary>The boxes of a label set (a labeler's or a reviewer's).</summary>
internal sealed class LabelSetValidator : AbstractValidator<LabelSetRequest>
{
    public LabelSetValidator(IOptions<LabelingOptions> options)
    {
        RuleFor(r => r.Boxes).NotNull().WithMessage("boxes is required (an empty list when the image has nothing to label).");
        RuleFor(r => r.Boxes!.Count).LessThanOrEqualTo(options.Value.MaxBoxes).When(r => r.Boxes is not null).OverridePropertyName("boxes");
        RuleForEach(r => r.Boxes).ChildRules(box =>
        {
            box.RuleFor(b => b.Label).NotEmpty().MaximumLength(200);
            box.RuleFor(b => b).Must(b => BoxRule.Holds(b.X, b.Y, b.Width, b.Height))
                .WithMessage("A box needs x, y of 0 or more and a positive width and height.");
        }).When(r => r.Boxes is not null);
    }
}

/// <summary>POST /v1/labeling/items/{id}/labels (validated by <see cref="LabelSetValidator"/>): the item's state after it (open, disputed, or final with its boxes).</summary>
internal static class SubmitLabelsEndpoint
{
    public static Task<ItemState> Handle(Guid id, LabelSetRequest request, ClaimsPrincipal user, SubmitLabelsHandler handler, CancellationToken ct) =>
        handler.HandleAsync(user.GetLabelerId(), id, request.Boxes!, ct);
}
