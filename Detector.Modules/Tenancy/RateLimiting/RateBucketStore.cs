using Dapper;
using Npgsql;

namespace Detector.Modules.Tenancy.RateLimiting;

/// <summary>
/// The shared token bucket of each tenant, in PostgreSQL: refilled by the database clock at the
/// plan's rate up to its burst (a second bucket per tenant for its browser keys), and drawn from in blocks, one round trip per block. Tokens an
/// instance leased and never used are lost, so the cluster can under-admit but never over-admit.
/// </summary>
internal sealed class RateBucketStore(NpgsqlDataSource dataSource)
{
    /// <summary>Takes up to <paramref name="block"/> whole tokens; returns how many, and the tokens left in the shared bucket.</summary>
    public async Task<(int Granted, double Remaining)> TakeAsync(Guid tenantId, string kind, int block, double rate, int burst, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        TenancyMetrics.RateLimitRoundTrips.Inc();
        // Both statements travel in one round trip; the row lock serialises instances per tenant.
        return await connection.QuerySingleAsync<(int, double)>(new CommandDefinition(
            """
            INSERT INTO tenancy.rate_buckets (tenant_id, kind, tokens, updated_at) VALUES (@tenantId, @kind, @burst, now())
            ON CONFLICT (tenant_id, kind) DO NOTHING;
            WITH current AS (
                SELECT least(@burst, tokens + greatest(0, extract(epoch FROM now() - updated_at)) * @rate) AS level
                FROM tenancy.rate_buckets WHERE tenant_id = @tenantId AND kind = @kind FOR UPDATE
            )
            UPDATE tenancy.rate_buckets b
            SET tokens = current.level - least(@block, floor(current.level)), updated_at = now()
            FROM current
            WHERE b.tenant_id = @tenantId AND b.kind = @kind
            RETURNING least(@block, floor(current.level))::int, b.tokens
            """,
            new { tenantId, kind, block, rate, burst = (double)burst },
            cancellationToken: ct));
    }
}
