using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>
/// /metrics is scraped by whoever can reach the port: per-tenant series are labelled by an
/// opaque id, never the tenant's id, and an erased tenant's series disappear from every instance.
/// </summary>
[Collection(TwoInstancesCollection.Name)]
public sealed class TenantMetricsTests(TwoInstances instances)
{
    [Fact]
    public async Task Per_tenant_series_carry_the_opaque_metrics_id_and_never_the_tenant_id()
    {
        var (tenantId, _, key) = await instances.A.CreateTenantAsync("metrics-label");
        using (var client = instances.A.Client(key))
        {
            (await client.GetAsync("/v1/results")).EnsureSuccessStatusCode();
        }

        var metricsId = await MetricsIdAsync(tenantId);
        var scrape = await ScrapeAsync(instances.A);

        Assert.Matches("^t[0-9a-f]{16}$", metricsId);
        Assert.Contains($"detector_tenant_requests_total{{tenant=\"{metricsId}\"}}", scrape, StringComparison.Ordinal);
        Assert.DoesNotContain(tenantId.ToString(), scrape, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(tenantId.ToString("N"), scrape, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_tenant_erased_by_another_instance_loses_its_series_here_when_the_change_arrives()
    {
        var (tenantId, _, key) = await instances.A.CreateTenantAsync("metrics-erased-elsewhere");
        using (var client = instances.B.Client(key))
        {
            (await client.GetAsync("/v1/results")).EnsureSuccessStatusCode();
        }

        var metricsId = await MetricsIdAsync(tenantId);
        Assert.Contains(metricsId, await ScrapeAsync(instances.B), StringComparison.Ordinal);

        // What another instance's erase leaves in the database: the tenant gone, and the change announced.
        await using (var connection = new NpgsqlConnection(DetectorApiFactory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var erase = new NpgsqlCommand(
                """
                DELETE FROM tenancy.api_keys WHERE tenant_id = @id;
                DELETE FROM tenancy.plans WHERE tenant_id = @id;
                DELETE FROM tenancy.tenants WHERE id = @id;
                SELECT pg_notify('detector_tenancy', @id::text);
                """, connection);
            erase.Parameters.AddWithValue("id", tenantId);
            await erase.ExecuteNonQueryAsync();
        }

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while ((await ScrapeAsync(instances.B)).Contains(metricsId, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the erased tenant's series were still scraped 5 s after the change");
            await Task.Delay(100);
        }
    }

    private async Task<string> MetricsIdAsync(Guid tenantId)
    {
        using var admin = instances.A.Admin();
        var tenant = await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/tenants/{tenantId}");
        return tenant.GetProperty("metrics_id").GetString()!;
    }

    private static async Task<string> ScrapeAsync(TenancyHost host)
    {
        using var client = host.Client();
        return await client.GetStringAsync("/metrics");
    }
}
