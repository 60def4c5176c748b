using System.Security.Claims;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Evaluation.StartEvaluation;

/// <summary>A model (name, name@version or name@alias) and a COCO dataset: its annotations file and image folder, relative to Evaluation:DatasetRoot.</summary>
internal sealed record StartEvaluationRequest(string? Model, string? Annotations, string? Images);

internal sealed class StartEvaluationValidator : AbstractValidator<StartEvaluationRequest>
{
    public StartEvaluationValidator()
    {
        RuleFor(r => r.Model).NotEmpty().MaximumLength(200);
        RuleFor(r => r.Annotations).NotEmpty().MaximumLength(1000);
        RuleFor(r => r.Images).NotEmpty().MaximumLength(1000);
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
