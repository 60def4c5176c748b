using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Detector.Modules.Common;
using Npgsql;
using Xunit.Abstractions;

namespace Detector.Tests.Integration.Tenancy;

[CollectionDefinition(Name)]
public sealed class TwoInstancesCollection : ICollectionFixture<TwoInstances>
{
    public const string Name = "two-instances";
}

/// <summary>Keys over real HTTP on two instances of one database: revocation, disabling and rotation reach both.</summary>
[Collection(TwoInstancesCollection.Name)]
public sealed class KeyLifecycleTests(TwoInstances instances, ITestOutputHelper output)
{
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Without_a_key_or_with_an_unknown_one_the_api_answers_401()
    {
        using var anonymous = instances.A.Client();
        using var stranger = instances.A.Client("dk_not-a-key-of-anyone");

        await ProblemAssert.IsProblemAsync(await anonymous.GetAsync("/v1/results"), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        await ProblemAssert.IsProblemAsync(await stranger.GetAsync("/v1/results"), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
    }

    [Fact]
    public async Task A_revoked_key_gets_401_on_every_instance_within_two_seconds()
    {
        var (tenantId, keyId, key) = await instances.A.CreateTenantAsync("revoke-me");
        using var onA = instances.A.Client(key);
        using var onB = instances.B.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await onA.GetAsync("/v1/results")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/v1/results")).StatusCode); // B now trusts it from its cache

        using var admin = instances.A.Admin();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/admin/tenants/{tenantId}/keys/{keyId}")).StatusCode);

        output.WriteLine($"B refused the revoked key after {(await UntilRefusedAsync(onB)).TotalMilliseconds:F0} ms");
        await ProblemAssert.IsProblemAsync(await onA.GetAsync("/v1/results"), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
    }

    [Fact]
    public async Task A_disabled_tenants_keys_get_401_on_every_instance_within_two_seconds_and_work_again_once_enabled()
    {
        var (tenantId, _, key) = await instances.A.CreateTenantAsync("disable-me");
        using var onB = instances.B.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/v1/results")).StatusCode);

        using var admin = instances.A.Admin();
        using (var disabled = await admin.PostAsync($"/v1/admin/tenants/{tenantId}/disable", null))
        {
            Assert.Equal("disabled", (await disabled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        }

        output.WriteLine($"B refused the disabled tenant after {(await UntilRefusedAsync(onB)).TotalMilliseconds:F0} ms");

        (await admin.PostAsync($"/v1/admin/tenants/{tenantId}/enable", null)).EnsureSuccessStatusCode();
        var stopwatch = Stopwatch.StartNew();
        while ((await onB.GetAsync("/v1/results")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(stopwatch.Elapsed < Propagation, "the re-enabled tenant's key works again within 2 s");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_rotated_key_works_beside_the_new_one_during_its_grace_and_stops_after_it()
    {
        var (tenantId, keyId, oldKey) = await instances.A.CreateTenantAsync("rotate-me");
        using var admin = instances.A.Admin();
        using var rotated = await admin.PostAsJsonAsync($"/v1/admin/tenants/{tenantId}/keys/{keyId}/rotate", new { grace_seconds = 3 });
        Assert.Equal(HttpStatusCode.Created, rotated.StatusCode);
        var body = await rotated.Content.ReadFromJsonAsync<JsonElement>();
        var newKey = body.GetProperty("key").GetProperty("api_key").GetString()!;
        var expiresAt = body.GetProperty("replaced_key_expires_at").GetDateTimeOffset();

        foreach (var host in new[] { instances.A, instances.B })
        {
            using var withOld = host.Client(oldKey);
            using var withNew = host.Client(newKey);
            Assert.Equal(HttpStatusCode.OK, (await withOld.GetAsync("/v1/results")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await withNew.GetAsync("/v1/results")).StatusCode);
        }

        var wait = expiresAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        foreach (var host in new[] { instances.A, instances.B })
        {
            using var withOld = host.Client(oldKey);
            using var withNew = host.Client(newKey);
            await ProblemAssert.IsProblemAsync(await withOld.GetAsync("/v1/results"), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
            Assert.Equal(HttpStatusCode.OK, (await withNew.GetAsync("/v1/results")).StatusCode);
        }
    }

    [Fact]
    public async Task Admin_endpoints_refuse_tenant_keys()
    {
        var (tenantId, keyId, key) = await instances.A.CreateTenantAsync("not-an-admin");
        using var tenant = instances.A.Client(key);

        await ProblemAssert.IsProblemAsync(await tenant.GetAsync("/v1/admin/tenants"), HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await ProblemAssert.IsProblemAsync(await tenant.PostAsync($"/v1/admin/tenants/{tenantId}/disable", null), HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await ProblemAssert.IsProblemAsync(await tenant.DeleteAsync($"/v1/admin/tenants/{tenantId}/keys/{keyId}"), HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await ProblemAssert.IsProblemAsync(await tenant.PostAsJsonAsync($"/v1/admin/tenants/{tenantId}/keys", new { name = "mine" }), HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
    }

    [Fact]
    public async Task Keys_are_listed_by_prefix_with_their_last_use_and_stored_only_as_a_keyed_hash()
    {
        var (tenantId, _, key) = await instances.A.CreateTenantAsync("list-my-keys");
        using var admin = instances.A.Admin();
        using var second = await admin.PostAsJsonAsync($"/v1/admin/tenants/{tenantId}/keys", new { name = "ci" });
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        using (var tenant = instances.A.Client(key))
        {
            (await tenant.GetAsync("/v1/results")).EnsureSuccessStatusCode();
        }

        JsonElement keys = default;
        var stopwatch = Stopwatch.StartNew();
        do
        {
            await Task.Delay(200);
            keys = (await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/tenants/{tenantId}/keys")).GetProperty("keys");
        }
        while (keys[0].GetProperty("last_used_at").ValueKind == JsonValueKind.Null && stopwatch.Elapsed < TimeSpan.FromSeconds(10));

        Assert.Equal(2, keys.GetArrayLength());
        Assert.Equal(key[..10], keys[0].GetProperty("prefix").GetString());
        Assert.NotEqual(JsonValueKind.Null, keys[0].GetProperty("last_used_at").ValueKind);
        Assert.Equal("ci", keys[1].GetProperty("name").GetString());
        Assert.DoesNotContain(key, keys.ToString(), StringComparison.Ordinal);

        await using var connection = new NpgsqlConnection(DetectorApiFactory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT key_hash, hash_kind FROM tenancy.api_keys WHERE tenant_id = @t ORDER BY created_at LIMIT 1", connection);
        command.Parameters.AddWithValue("t", tenantId);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var stored = (byte[])reader[0];
        Assert.Equal("hmac", reader.GetString(1));
        Assert.NotEqual(SHA256.HashData(Encoding.UTF8.GetBytes(key)), stored);
        Assert.DoesNotContain(key, Encoding.UTF8.GetString(stored), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_stored_under_the_old_plain_hash_still_works_and_is_rehashed_on_first_use()
    {
        var (tenantId, keyId, key) = await instances.A.CreateTenantAsync("legacy-key");
        await using (var connection = new NpgsqlConnection(DetectorApiFactory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("UPDATE tenancy.api_keys SET key_hash = @h, hash_kind = 'sha256' WHERE id = @k", connection);
            command.Parameters.AddWithValue("h", SHA256.HashData(Encoding.UTF8.GetBytes(key)));
            command.Parameters.AddWithValue("k", keyId);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        using var fresh = instances.B.Client(key); // B has never seen this key, so it looks it up
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/v1/results")).StatusCode);

        await using var check = new NpgsqlConnection(DetectorApiFactory.ConnectionString);
        await check.OpenAsync();
        await using var kind = new NpgsqlCommand("SELECT hash_kind FROM tenancy.api_keys WHERE id = @k", check);
        kind.Parameters.AddWithValue("k", keyId);
        Assert.Equal("hmac", (string?)await kind.ExecuteScalarAsync());
        Assert.NotEqual(Guid.Empty, tenantId);
    }

    /// <summary>Polls until the client's key is refused; fails past two seconds.</summary>
    private static async Task<TimeSpan> UntilRefusedAsync(HttpClient client)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            using var response = await client.GetAsync("/v1/results");
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                return stopwatch.Elapsed;
            }

            Assert.True(stopwatch.Elapsed < Propagation, $"still {(int)response.StatusCode} after {Propagation.TotalSeconds} s");
            await Task.Delay(20);
        }
    }
}
