using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Training.GetModelVersionLineage;

/// <summary>GET /v1/admin/models/{name}/versions/{version}/lineage: where the version came from and which data validated it.</summary>
internal static class GetModelVersionLineageEndpoint
{
    public static async Task<Ok<VersionLineage>> Handle(string name, string version, GetModelVersionLineageHandler handler, CancellationToken ct) =>
        TypedResults.Ok(await handler.HandleAsync(name, version, ct));
}
