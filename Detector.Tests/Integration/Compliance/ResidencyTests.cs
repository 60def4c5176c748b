using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Modules.Common;
using static Detector.Tests.Integration.Jobs.JobsTestKit;

namespace Detector.Tests.Integration.Compliance;

/// <summary>An instance of one region, on that region's own database, sharing the tenant directory (the first region's database).</summary>
public sealed class RegionHost(string region, string? directoryConnectionString) : ComplianceFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
        base.ExtraSettings().Concat([
            new("Deployment:Region", region),
            new("Database:DirectoryConnectionString", directoryConnectionString),
            // Tenants this region's admin creates start here, as an operator of several regions configures it.
            new("Tenancy:Plans:standard:Region", region),
        ]);
}

/// <summary>
/// Residency over HTTP: two regions, each with its own database and image store, one tenant
/// directory. A tenant's requests to the other region are refused with 421 wrong_region before
/// anything of them is read or written there.
/// </summary>
[Collection("Jobs")]
public sealed class ResidencyTests : IAsyncLifetime
{
    private readonly RegionHost _eu = new("eu", null);
    private RegionHost? _us;

    private RegionHost Us => _us ?? throw new InvalidOperationException("not initialised");

    public async Task InitializeAsync()
    {
        await _eu.InitializeAsync();
        _us = new RegionHost("us", _eu.ConnectionString);
        await _us.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        if (_us is not null)
        {
            await _us.DisposeAsync();
        }

        await _eu.DisposeAsync();
    }

    [Fact]
    public async Task A_tenant_pinned_to_another_region_is_refused_with_wrong_region_and_nothing_of_it_is_written_there()
    {
        using var usAdmin = Us.Admin();
        using var euAdmin = _eu.Admin();
        var (usTenant, usKey) = await CreatePinnedAsync(usAdmin, "resident-us", "us");
        var (euTenant, euKey) = await CreatePinnedAsync(euAdmin, "resident-eu", "eu");
        using var usAtHome = Client(Us, usKey);
        using var usAbroad = Client(_eu, usKey);
        using var euAbroad = Client(Us, euKey);

        // At home: served, and kept in its region's database.
        var result = await TenantUsage.DetectAsync(usAtHome, CocoFiles[7]);
        Assert.Equal(1L, await Us.CountAsync("SELECT count(*) FROM results.results WHERE tenant_id = @jobId", usTenant));
        Assert.Equal(1L, await Us.CountAsync("SELECT count(*) FROM images.blobs WHERE tenant_id = @jobId", usTenant));
        Assert.Equal(0L, await Us.CountAsync("SELECT count(*) FROM tenancy.tenants WHERE id = @jobId", usTenant)); // the directory is elsewhere

        // Abroad: every kind of request refused before its body is read or anything is written.
        var photo = await File.ReadAllBytesAsync(CocoFiles[8]);
        using (var detect = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = DetectorApiFactory.ImageForm(photo) })
        {
            detect.Headers.Add("Idempotency-Key", "abroad-1");
            await AssertWrongRegionAsync(await usAbroad.SendAsync(detect), "us");
        }

        await AssertWrongRegionAsync(await usAbroad.PostAsync("/v1/jobs", Images([("abroad.jpg", photo)])), "us");
        await AssertWrongRegionAsync(await usAbroad.PostAsync("/v1/jobs", JsonContent.Create(new { urls = new[] { "http://example.com/a.jpg" } })), "us");
        await AssertWrongRegionAsync(await usAbroad.GetAsync($"/v1/results/{result}"), "us");
        await AssertWrongRegionAsync(await usAbroad.GetAsync("/v1/usage"), "us");
        await AssertWrongRegionAsync(await euAbroad.PostAsync("/v1/detect", DetectorApiFactory.ImageForm(photo)), "eu");

        // Nothing of the US tenant in the EU database beyond the directory's own rows (tenant, plan, keys).
        var directory = new HashSet<string>(StringComparer.Ordinal) { "tenancy.tenants", "tenancy.plans", "tenancy.api_keys" };
        var traces = (await _eu.ScanAllTablesAsync([usTenant.ToString(), usTenant.ToString("N")])).Where(h => !directory.Contains(h.Split(':')[0])).ToList();
        Assert.True(traces.Count == 0, "Written in the wrong region:" + Environment.NewLine + string.Join(Environment.NewLine, traces));
        var usTraces = (await Us.ScanAllTablesAsync([euTenant.ToString(), euTenant.ToString("N")])).ToList();
        Assert.True(usTraces.Count == 0, "Written in the wrong region:" + Environment.NewLine + string.Join(Environment.NewLine, usTraces));

        // Only the tenant's own region can erase it (elsewhere its data is out of reach): refused abroad, done at home.
        await AssertWrongRegionAsync(await euAdmin.PostAsync($"/v1/admin/tenants/{usTenant}/erase", null), "us");
        Assert.Equal(1L, await Us.CountAsync("SELECT count(*) FROM results.results WHERE tenant_id = @jobId", usTenant));
        using (var erased = await usAdmin.PostAsync($"/v1/admin/tenants/{usTenant}/erase", null))
        {
            Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        }

        Assert.Equal(0L, await Us.CountAsync("SELECT count(*) FROM results.results WHERE tenant_id = @jobId", usTenant));
        Assert.Equal(0L, await _eu.CountAsync("SELECT count(*) FROM tenancy.tenants WHERE id = @jobId", usTenant));
    }

    [Fact]
    public async Task A_region_change_is_decided_at_home_and_refused_while_the_tenant_has_data_there()
    {
        using var euAdmin = _eu.Admin();
        using var usAdmin = Us.Admin();
        var (tenant, key) = await CreatePinnedAsync(euAdmin, "moving", "eu");
        using var client = Client(_eu, key);
        var result = await TenantUsage.DetectAsync(client, CocoFiles[9]);
        var sha = (await client.GetFromJsonAsync<JsonElement>($"/v1/results/{result}")).GetProperty("image").GetProperty("sha256").GetString();

        // Abroad the tenant's data is out of sight: refused as an erase is, naming where to go.
        await AssertWrongRegionAsync(await usAdmin.PutAsJsonAsync($"/v1/admin/tenants/{tenant}/plan", new { region = "us" }), "eu");

        // At home, refused while anything of it remains, with what remains.
        using (var refused = await euAdmin.PutAsJsonAsync($"/v1/admin/tenants/{tenant}/plan", new { region = "us" }))
        {
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Conflict, ErrorCodes.RegionHasData);
            Assert.Equal(1, problem.GetProperty("remaining").GetProperty("results").GetInt64());
            Assert.True(problem.GetProperty("remaining").GetProperty("images").GetInt64() >= 1);
        }

        Assert.Equal("eu", (await euAdmin.GetFromJsonAsync<JsonElement>($"/v1/admin/tenants/{tenant}")).GetProperty("plan").GetProperty("region").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/results/{result}")).StatusCode);

        // Once its data is gone the move is allowed, and the tenant is then served in its new region only.
        (await client.DeleteAsync($"/v1/results/{result}")).EnsureSuccessStatusCode();
        (await client.DeleteAsync($"/v1/images/{sha}")).EnsureSuccessStatusCode();
        await _eu.ExecuteAsync($"DELETE FROM tenancy.idempotency WHERE tenant_id = '{tenant}'");
        using (var moved = await euAdmin.PutAsJsonAsync($"/v1/admin/tenants/{tenant}/plan", new { region = "us" }))
        {
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        }

        var deadline = DateTime.UtcNow.AddSeconds(3);
        HttpResponseMessage atHome;
        using var usClient = Client(Us, key);
        while ((atHome = await usClient.GetAsync("/v1/results")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the moved tenant got {(int)atHome.StatusCode} in its new region");
            await Task.Delay(100);
        }

        await AssertWrongRegionAsync(await client.GetAsync("/v1/results"), "us");
    }

    private static async Task<(Guid Tenant, string Key)> CreatePinnedAsync(HttpClient admin, string name, string region)
    {
        using var created = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name });
        created.EnsureSuccessStatusCode();
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var tenant = body.GetProperty("id").GetGuid();
        using var plan = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenant}/plan", new { region });
        plan.EnsureSuccessStatusCode();
        return (tenant, body.GetProperty("api_key").GetString()!);
    }

    private static HttpClient Client(RegionHost host, string key)
    {
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static async Task AssertWrongRegionAsync(HttpResponseMessage response, string region)
    {
        using (response)
        {
            var problem = await ProblemAssert.IsProblemAsync(response, (HttpStatusCode)421, ErrorCodes.WrongRegion);
            Assert.Equal(region, problem.GetProperty("region").GetString());
        }
    }
}
