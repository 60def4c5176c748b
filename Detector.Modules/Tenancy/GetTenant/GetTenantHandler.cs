using Detector.Modules.Tenancy.Admin;

namespace Detector.Modules.Tenancy.GetTenant;

/// <summary>One tenant as the admin API shows it; a missing one is not found.</summary>
internal sealed class GetTenantHandler(TenantViews views)
{
    public async Task<TenantView> HandleAsync(Guid id, CancellationToken ct) =>
        await views.LoadAsync(id, ct) ?? throw AdminProblems.TenantNotFound(id);
}
