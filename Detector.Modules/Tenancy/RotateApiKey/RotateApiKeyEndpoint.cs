using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Tenancy.RotateApiKey;

internal sealed record RotateKeyRequest(int? GraceSeconds);

internal sealed class RotateKeyValidator : AbstractValidator<RotateKeyRequest>
{
    public const int MaxGraceSeconds = 30 * 24 * 3600;

    public RotateKeyValidator() => RuleFor(r => r.GraceSeconds).InclusiveBetween(0, MaxGraceSeconds).When(r => r.GraceSeconds.HasValue)
        .WithMessage($"grace_seconds must be between 0 and {MaxGraceSeconds}.");
}

/// <summary>POST /v1/admin/tenants/{id}/keys/{keyId}/rotate (validated by <see cref="RotateKeyValidator"/>).</summary>
internal static class RotateApiKeyEndpoint
{
    public static async Task<Created<RotatedKeyView>> Handle(Guid id, Guid keyId, RotateKeyRequest request, RotateApiKeyHandler handler, CancellationToken ct) =>
        TypedResults.Created($"/v1/admin/tenants/{id}/keys", await handler.HandleAsync(id, keyId, request.GraceSeconds, ct));
}
