using Detector.Modules.Tenancy.Admin;
using Detector.Modules.Tenancy.Browser;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Tenancy.SetAllowedOrigins;

/// <param name="Origins">scheme://host[:port] each, exact (no wildcards); empty allows none.</param>
internal sealed record SetOriginsRequest(IReadOnlyList<string>? Origins);

internal sealed class SetOriginsValidator : AbstractValidator<SetOriginsRequest>
{
    public SetOriginsValidator(IOptions<CorsOptions> options)
    {
        var max = options.Value.MaxOriginsPerTenant;
        RuleFor(r => r.Origins).NotNull().WithMessage("origins is required (an empty list allows none).")
            .Must(o => o is null || o.Count <= max).WithMessage($"origins may list at most {max}.");
        RuleForEach(r => r.Origins).Custom((origin, context) =>
        {
            if (OriginRules.Canonical(origin, out var error) is null)
            {
                context.AddFailure("origins", error!);
            }
        });
    }
}

/// <summary>PUT /v1/admin/tenants/{id}/origins (validated by <see cref="SetOriginsValidator"/>).</summary>
internal static class SetAllowedOriginsEndpoint
{
    public static async Task<Ok<TenantView>> Handle(Guid id, SetOriginsRequest request, SetAllowedOriginsHandler handler, CancellationToken ct) =>
        TypedResults.Ok(await handler.HandleAsync(id, request.Origins!, ct));
}
