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
        if (await tenants.FindAsync(id, CancellationToken.None) is { } tenant && !string.Equals(tenant.Plan.Region, deployment.Value.Region, StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Problem(ProblemWriter.Create(http, new ProblemException(421, ErrorCodes.WrongRegion, "Wrong region",
                $"Tenant {id} lives in region '{tenant.Plan.Region}'; this instance serves '{deployment.Value.Region}'. Erase it there.")
            {
                Extensions = new Dictionary<string, object?> { ["region"] = tenant.Plan.Region },
            }));
        }

        // Not cancelled with the request: an erase half done by a client hanging up is worse than one finished.
        var receipt = await eraser.EraseAsync(id, $"admin from {http.Connection.RemoteIpAddress}", CancellationToken.None);
        return receipt is null
            ? TypedResults.Problem(ProblemWriter.Create(http, new ProblemException(404, ErrorCodes.NotFound, "Tenant not found", $"No tenant {id}.")))
            : TypedResults.Ok(receipt);
    }
}
