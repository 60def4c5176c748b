using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Labeling.CreateLabeler;

/// <summary>A person who labels (role labeler) or also decides disputes (role reviewer).</summary>
internal sealed record CreateLabelerRequest(string? Name, string? Role);

internal sealed class CreateLabelerValidator : AbstractValidator<CreateLabelerRequest>
{
    public CreateLabelerValidator()
    {
        RuleFor(r => r.Name).NotEmpty().MaximumLength(200);
        RuleFor(r => r.Role).NotEmpty().Must(r => r is Authentication.LabelerClaims.LabelerRole or Authentication.LabelerClaims.ReviewerRole)
            .WithMessage("role must be labeler or reviewer.");
    }
}

/// <summary>POST /v1/admin/labelers (validated by <see cref="CreateLabelerValidator"/>): 201 with the labeler's key, shown only this once.</summary>
internal static class CreateLabelerEndpoint
{
    public static async Task<Created<CreatedLabeler>> Handle(CreateLabelerRequest request, CreateLabelerHandler handler, CancellationToken ct)
    {
        var created = await handler.HandleAsync(request.Name!, request.Role!, ct);
        return TypedResults.Created($"/v1/admin/labelers/{created.Id}", created);
    }
}
