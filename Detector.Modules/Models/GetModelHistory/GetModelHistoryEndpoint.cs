using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Models.GetModelHistory;

internal sealed record AliasMoveView(long Id, string Alias, string? FromVersion, string? ToVersion, double? FromShare, double? ToShare, string Actor, string? Reason, DateTimeOffset At);

internal sealed record ModelHistoryResponse(string Model, IReadOnlyList<AliasMoveView> Moves);

/// <summary>GET /v1/admin/models/{name}/history.</summary>
internal static class GetModelHistoryEndpoint
{
    public static async Task<Ok<ModelHistoryResponse>> Handle(string name, GetModelHistoryHandler handler, CancellationToken ct) =>
        TypedResults.Ok(await handler.HandleAsync(name, ct));
}
