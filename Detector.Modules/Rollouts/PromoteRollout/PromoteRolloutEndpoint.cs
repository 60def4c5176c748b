using System.Security.Claims;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Rollouts.PromoteRollout;

/// <summary>Which variant to promote (default canary), and why.</summary>
internal sealed record PromoteRequest(string? Alias, string? Reason);

internal sealed record PromoteResponse(string Model, string Alias, string Version);

/// <summary>POST /v1/admin/rollouts/{model}/promote.</summary>
internal static class PromoteRolloutEndpoint
{
    public static async Task<Ok<PromoteResponse>> Handle(string model, PromoteRequest? request, ClaimsPrincipal user, PromoteRolloutHandler handler, CancellationToken ct) =>
        TypedResults.Ok(await handler.HandleAsync(model, request?.Alias ?? "canary", request?.Reason, user.AdminActor(), ct));
}
