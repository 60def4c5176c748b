using Dapper;
using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Tenancy.UpdateTenantPlan;

/// <summary>
/// A plan's region changes only where the tenant's data is, and only when it has none left: an
/// instance of another region cannot see that data (421, as for an erase), and data left in the
/// old region would never be served or purged again (409 region_has_data, naming what remains).
/// Moving data between regions is a migration the operator runs first (ADR 0013).
/// </summary>
internal sealed class RegionChangeGuard(IEnumerable<ITenantRegionalData> holders, NpgsqlDataSource dataSource, IOptions<DeploymentOptions> deployment)
{
    public async Task EnsureAllowedAsync(Guid tenantId, string from, string to, CancellationToken ct)
    {
        if (string.Equals(from, to, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        if (!deployment.Value.Serves(from))
        {
            throw deployment.Value.WrongRegion(from, $"Tenant {tenantId}");
        }

        var remaining = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var holder in holders)
        {
            foreach (var (kind, count) in await holder.CountAsync(tenantId, ct))
            {
                Add(remaining, kind, count);
            }
        }

        // Tenancy's own regional rows that carry answers (results) for a day: idempotency records.
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            Add(remaining, "idempotency_records", await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT count(*) FROM tenancy.idempotency WHERE tenant_id = @tenantId", new { tenantId }, cancellationToken: ct)));
        }

        if (remaining.Count > 0)
        {
            throw new DomainException(
                OutcomeKind.Conflict,
                ErrorCodes.RegionHasData,
                "Tenant has data in its region",
                $"Tenant {tenantId} still has data in region '{from}' ({string.Join(", ", remaining.Select(r => $"{r.Key}: {r.Value}"))}). " +
                $"Delete it (DELETE /v1/results/{{id}}, POST /v1/jobs/{{id}}/erase, DELETE /v1/images/{{sha256}}) or move it to '{to}' first; " +
                "a region change alone would strand it where it is never served or purged again.")
            {
                Extensions = new Dictionary<string, object?> { ["region"] = from, ["remaining"] = remaining },
            };
        }
    }

    private static void Add(SortedDictionary<string, long> remaining, string kind, long count)
    {
        if (count > 0)
        {
            remaining[kind] = remaining.GetValueOrDefault(kind) + count;
        }
    }
}
