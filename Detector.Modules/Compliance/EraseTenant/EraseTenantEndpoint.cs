using Detector.Modules.Common;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Compliance.EraseTenant;

internal static class EraseTenantEndpoint
{
    public static async Task<Results<Ok<ErasureReceipt>, ProblemHttpResult>> Handle(Guid id, HttpContext http, TenantEraser eraser)
    {
        // Not cancelled with the request: an erase half done by a client hanging up is worse than one finished.
        var receipt = await eraser.EraseAsync(id, $"admin from {http.Connection.RemoteIpAddress}", CancellationToken.None);
        return receipt is null
            ? TypedResults.Problem(ProblemWriter.Create(http, new ProblemException(404, ErrorCodes.NotFound, "Tenant not found", $"No tenant {id}.")))
            : TypedResults.Ok(receipt);
    }
}
