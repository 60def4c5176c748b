using Detector.Modules.Tenancy.Admin;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Tenancy.CreateApiKey;

internal sealed record CreateKeyRequest(string? Name);

internal sealed class CreateKeyValidator : AbstractValidator<CreateKeyRequest>
{
    public CreateKeyValidator() => RuleFor(r => r.Name).MaximumLength(200).WithMessage("name must be at most 200 characters.");
}

/// <summary>POST /v1/admin/tenants/{id}/keys (validated by <see cref="CreateKeyValidator"/>).</summary>
internal static class CreateApiKeyEndpoint
{
    public static async Task<Created<NewKeyView>> Handle(Guid id, CreateKeyRequest request, CreateApiKeyHandler handler, CancellationToken ct) =>
        TypedResults.Created($"/v1/admin/tenants/{id}/keys", await handler.HandleAsync(id, request.Name, ct));
}
