using System.Net;
using System.Text.Json;
using Detector.Modules.Common;
using Npgsql;

namespace Detector.Tests.Integration;

[Collection(ApiCollection.Name)]
public sealed class TenantIsolationTests(DetectorApiFactory factory)
{
    [Fact]
    public async Task Tenant_B_gets_404_for_tenant_As_result_and_never_lists_it()
    {
        var (a, _) = await factory.CreateTenantClientAsync("tenant-a");
        var (b, _) = await factory.CreateTenantClientAsync("tenant-b");
        using var posted = await a.PostAsync("/v1/detect", DetectorApiFactory.ImageForm(BadImages.Dog));
        using var doc = JsonDocument.Parse(await posted.Content.ReadAsStringAsync());
        var id = doc.RootElement.GetProperty("id").GetGuid();

        using (var mine = await a.GetAsync($"/v1/results/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        }

        using (var theirs = await b.GetAsync($"/v1/results/{id}"))
        {
            await ProblemAssert.IsProblemAsync(theirs, HttpStatusCode.NotFound, ErrorCodes.NotFound);
        }

        using var list = JsonDocument.Parse(await b.GetStringAsync("/v1/results?limit=100"));
        Assert.DoesNotContain(list.RootElement.GetProperty("items").EnumerateArray(), i => i.GetProperty("id").GetGuid() == id);
    }

    [Fact]
    public async Task A_revoked_key_gets_401()
    {
        var (client, tenantId) = await factory.CreateTenantClientAsync("revoked-key");
        // The column is set directly (KeyLifecycleTests revoke through the admin API): this pins
        // the lookup's own check, and the key is revoked before its first use, so no cached
        // verdict can hide it.
        await ExecuteAsync("UPDATE tenancy.api_keys SET revoked_at = now() WHERE tenant_id = @tenantId", tenantId);

        using var response = await client.GetAsync("/v1/results");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
    }

    [Fact]
    public async Task A_disabled_tenants_key_gets_401()
    {
        var (client, tenantId) = await factory.CreateTenantClientAsync("disabled-tenant");
        await ExecuteAsync("UPDATE tenancy.tenants SET disabled_at = now() WHERE id = @tenantId", tenantId);

        using var response = await client.GetAsync("/v1/results");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
    }

    [Fact]
    public async Task An_active_key_of_an_active_tenant_is_accepted()
    {
        var (client, _) = await factory.CreateTenantClientAsync("active-tenant");

        using var response = await client.GetAsync("/v1/results");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task ExecuteAsync(string sql, Guid tenantId)
    {
        await using var connection = new NpgsqlConnection(DetectorApiFactory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("tenantId", tenantId);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }
}
