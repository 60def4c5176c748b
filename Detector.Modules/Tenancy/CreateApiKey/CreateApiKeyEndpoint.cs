using Detector.Modules.Tenancy.Admin;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Tenancy.CreateApiKey;

/// <param name="Kind"><c>secret</c> (the default) or <c>browser</c> (ADR 0027).</param>
internal sealed record CreateKeyRequest(string? Name, string? Kind = null);

internal sealed class CreateKeyValidator : AbstractValidator<CreateKeyRequest>
{
    public CreateKeyValidator()
    {
        RuleFor(r => r.Name).MaximumLength(200).WithMessage("name must be at most 200 characters.");
        RuleFor(r => r.Kind).Must(k => k is null or TenantClaims.SecretKey or TenantClaims.BrowserKey).WithMessage("kind must be secret or browser.");
    }
}

/// <summary>POST /v1/admin/tenants/{id}/keys (validated by <see cref="CreateKeyValidator"/>).</summary>
internal static class CreateApiKeyEndpoint
{
    public static async Task<Created<NewKeyView>> Handle(Guid id, CreateKeyRequest request, CreateApiKeyHandler handler, CancellationToken ct) =>
        TypedResults.Created($"/v1/admin/tenants/{id}/keys", await handler.HandleAsync(id, request.Name, request.Kind ?? TenantClaims.SecretKey, ct));
}
