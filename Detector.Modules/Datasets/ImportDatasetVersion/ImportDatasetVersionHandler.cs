using Detector.Modules.Common;
using Detector.Modules.Datasets.GetDatasetVersion;
using Detector.Modules.Datasets.Storage;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Datasets.ImportDatasetVersion;

/// <summary>
/// Imports a COCO dataset as a version of the tenant's images (in its region's store, encrypted
/// under its key like every image of it, so its erase takes them): reads and stores every image,
/// then saves the version, or answers the one with the same content.
/// </summary>
internal sealed class ImportDatasetVersionHandler(CocoImport import, VersionWriter writer, ITenantDirectory tenants, IOptions<DeploymentOptions> deployment)
{
    public async Task<(VersionView View, bool Created)> HandleAsync(string name, ImportDatasetVersionRequest request, string actor, CancellationToken ct)
    {
        var dataset = DatasetNames.Validate(name);
        var tenantId = request.TenantId!.Value;
        var tenant = await tenants.FindAsync(tenantId, ct)
            ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Tenant not found", $"No tenant {tenantId}.");
        if (!deployment.Value.Serves(tenant.Plan.Region))
        {
            throw deployment.Value.WrongRegion(tenant.Plan.Region, $"Tenant {tenantId}");
        }

        var content = await import.ReadAsync(tenantId, request.Annotations!, request.Images!, ct);
        var (row, created) = await writer.SaveAsync(dataset, content, parent: null, "import", actor, ct);
        return (VersionView.Of(row), created);
    }
}
