using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Compliance.EraseTenant;

/// <summary>The erase's receipt, or why there was none (not found, or another region's tenant).</summary>
internal sealed record EraseTenantOutcome(ErasureReceipt? Receipt, DomainException? Refused);

/// <summary>An admin erases a tenant of this region (its data lives in this region's database and store).</summary>
internal sealed class EraseTenantHandler(TenantEraser eraser, ITenantDirectory tenants, IOptions<DeploymentOptions> deployment)
{
    public async Task<EraseTenantOutcome> HandleAsync(Guid tenantId, string erasedBy)
    {
        // The tenant's data lives in its region's database and store: only an instance of that region can erase it all.
        if (await tenants.FindAsync(tenantId, CancellationToken.None) is { } tenant && !deployment.Value.Serves(tenant.Plan.Region))
        {
            return new EraseTenantOutcome(null, deployment.Value.WrongRegion(tenant.Plan.Region, $"Tenant {tenantId}"));
        }

        // Not cancelled with the request: an erase half done by a client hanging up is worse than one finished.
        return await eraser.EraseAsync(tenantId, erasedBy, CancellationToken.None) is { } receipt
            ? new EraseTenantOutcome(receipt, null)
            : new EraseTenantOutcome(null, new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Tenant not found", $"No tenant {tenantId}."));
    }
}
