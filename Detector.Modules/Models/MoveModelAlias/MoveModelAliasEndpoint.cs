using System.Security.Claims;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Models.MoveModelAlias;

/// <summary>
/// Points an alias at a version, optionally setting the share of the model's unpinned traffic it
/// takes (0..1; absent keeps the alias's share, a new alias takes none; production takes the
/// rest); the reason is kept in the alias history.
/// </summary>
internal sealed record MoveAliasRequest(string? Version, double? Share, string? Reason);

internal sealed record AliasView(string Model, string Alias, string Version, double Share, string? PreviousVersion, double PreviousShare);

internal sealed class MoveAliasValidator : AbstractValidator<MoveAliasRequest>
{
    public MoveAliasValidator()
    {
        RuleFor(r => r.Version).NotEmpty().WithMessage("version is required.");
        RuleFor(r => r.Share).InclusiveBetween(0, 1).When(r => r.Share.HasValue).WithMessage("share must be between 0 and 1.");
        RuleFor(r => r.Reason).MaximumLength(500).WithMessage("reason must be at most 500 characters.");
    }
}

/// <summary>PUT /v1/admin/models/{name}/aliases/{alias} (validated by <see cref="MoveAliasValidator"/>).</summary>
internal static class MoveModelAliasEndpoint
{
    public static async Task<Ok<AliasView>> Handle(string name, string alias, MoveAliasRequest request, ClaimsPrincipal user, MoveModelAliasHandler handler, CancellationToken ct) =>
        TypedResults.Ok(await handler.HandleAsync(name, alias, request.Version!, request.Share, request.Reason, user.AdminActor(), ct));
}
