using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Tenancy.Tenants;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Tenancy.CreateTenant;

internal sealed record CreateTenantRequest(string? Name, string? Plan);

internal sealed record CreateTenantResponse(Guid Id, string Name, string ApiKey, Guid KeyId, DateTimeOffset CreatedAt, TenantPlan Plan);

internal sealed class CreateTenantValidator : AbstractValidator<CreateTenantRequest>
{
    public CreateTenantValidator(Plans plans)
    {
        RuleFor(r => r.Name).NotEmpty().WithMessage("name is required.")
            .MaximumLength(200).WithMessage("name must be at most 200 characters.");
        RuleFor(r => r.Plan).Must(p => plans.Named(p!) is not null).When(r => r.Plan is not null)
            .WithMessage(r => $"plan must be one of {string.Join(", ", plans.Names)}.");
    }
}

/// <summary>POST /v1/admin/tenants (validated by <see cref="CreateTenantValidator"/>).</summary>
internal static class CreateTenantEndpoint
{
    public static async Task<Created<CreateTenantResponse>> Handle(CreateTenantRequest request, CreateTenantHandler handler, CancellationToken ct)
    {
        var created = await handler.HandleAsync(request.Name!.Trim(), request.Plan, ct);
        return TypedResults.Created($"/v1/admin/tenants/{created.Id}", created);
    }
}
