using Detector.Modules.Common;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Compliance.EraseTenant;

internal static class EraseTenantEndpoint
{
    public static async Task<Results<Ok<ErasureReceipt>, ProblemHttpResult>> Handle(Guid id, HttpContext http, EraseTenantHandler handler) =>
        await handler.HandleAsync(id, $"admin from {http.Connection.RemoteIpAddress}") switch
        {
            { Refused: { } refused } => TypedResults.Problem(ProblemWriter.Create(http, refused)),
            { Receipt: var receipt } => TypedResults.Ok(receipt!),
        };
}
