using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Compliance.EraseTenant;

internal static class EraseTenantEndpoint
{
    public static async Task<Results<Ok<ErasureReceipt>, ProblemHttpResult>> Handle(
        Guid id, HttpContext http, TenantEraser eraser, ITenantDirectory tenants, IOptions<DeploymentOptions> deployment)
    {
        // The tenant's data lives in its region's database and store: only an instance of that region can erase it all.
        if (await tenants.FindAsync(id, CancellationToken.None) is { } tenant && !deployment.Value.Serves(tenant.Plan.Region))
        {
            return TypedResults.Problem(ProblemWriter.Create(http, deployment.Value.WrongRegion(tenant.Plan.Region, $"Tenant {id}")));
        }

        // Not cancelled with the request: an erase half done by a client hanging up is worse than one finished.
        var receipt = await eraser.EraseAsync(id, $"admin from {http.Connection.RemoteIpAddress}", CancellationToken.None);
        return receipt is null
            ? TypedResults.Problem(ProblemWriter.Create(http, new ProblemException(404, ErrorCodes.NotFound, "Tenant not found", $"No tenant {id}.")))
            : TypedResults.Ok(receipt);
    }
}
