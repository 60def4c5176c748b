using System.Security.Claims;
using Detector.Modules.Evaluation.RunEvaluation;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Evaluation.StartEvaluation;

/// <summary>
/// A model (name, name@version or name@alias) and its data: a COCO dataset (its annotations file
/// and image folder, relative to Evaluation:DatasetRoot), or a dataset version (its 64-hex id) and
/// a split (train, val, test, or all; default val).
/// </summary>
internal sealed record StartEvaluationRequest(string? Model, string? Annotations, string? Images, string? DatasetVersion = null, string? Split = null);

internal sealed class StartEvaluationValidator : AbstractValidator<StartEvaluationRequest>
{
    public StartEvaluationValidator()
    {
        RuleFor(r => r.Model).NotEmpty().MaximumLength(200);
        When(r => r.DatasetVersion is null, () =>
        {
            RuleFor(r => r.Annotations).NotEmpty().MaximumLength(1000);
            RuleFor(r => r.Images).NotEmpty().MaximumLength(1000);
            RuleFor(r => r.Split).Null().WithMessage("split names a part of a dataset version; a COCO folder has none.");
        }).Otherwise(() =>
        {
            RuleFor(r => r.DatasetVersion).Matches("^[0-9a-f]{64}$").WithMessage("dataset_version must be a dataset version's id, 64 lower-case hex digits.");
            RuleFor(r => r.Annotations).Null().WithMessage("annotations and images name a COCO folder; give them or dataset_version, not both.");
            RuleFor(r => r.Images).Null().WithMessage("annotations and images name a COCO folder; give them or dataset_version, not both.");
            RuleFor(r => r.Split).Must(s => s is null or "train" or "val" or "test" or EvaluationInputs.AllSplits).WithMessage("split must be train, val, test or all.");
        });
    }
}

/// <summary>POST /v1/admin/evaluations (validated by <see cref="StartEvaluationValidator"/>): 202 with the evaluation to poll.</summary>
internal static class StartEvaluationEndpoint
{
    public static async Task<Accepted<EvaluationView>> Handle(StartEvaluationRequest request, ClaimsPrincipal user, StartEvaluationHandler handler, CancellationToken ct)
    {
        var view = await handler.HandleAsync(request, user.AdminActor(), ct);
        return TypedResults.Accepted($"/v1/admin/evaluations/{view.Id}", view);
    }
}
