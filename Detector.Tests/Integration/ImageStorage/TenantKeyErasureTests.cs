using Detector.Modules.Common;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Images.Encryption;
using Detector.Tests.Integration.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Detector.Tests.Integration.ImageStorage;

/// <summary>Erasing a tenant's images on one instance, seen from another instance of the same database that had its data key cached.</summary>
public sealed class TenantKeyErasureTests : IAsyncLifetime
{
    private readonly FreshDatabase _database = new("images_key_erase");

    public Task InitializeAsync() => _database.CreateAsync();

    public Task DisposeAsync() => _database.DropAsync();

    [Fact]
    public async Task An_erased_tenants_key_is_tombstoned_and_a_second_instance_that_cached_it_refuses_to_seal_a_new_blob_right_after()
    {
        await using var a = await ImageStoreHost.StartAsync(_database.ConnectionString, new Dictionary<string, string?>());
        await using var b = await ImageStoreHost.StartAsync(_database.ConnectionString, new Dictionary<string, string?>());
        var (tenant, other) = (Guid.NewGuid(), Guid.NewGuid());
        var photo = await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[5]);
        var stored = await b.Store.PutAsync(tenant, photo, CancellationToken.None);
        await b.Store.PutAsync(other, photo, CancellationToken.None);
        Assert.True(b.Services.GetRequiredService<TenantKeyStore>().IsCached(tenant)); // B holds the key

        Assert.Equal(new TenantImagesErasure(1, 1), await a.Store.EraseTenantAsync(tenant, CancellationToken.None));

        // At once, on B too: no new blob is sealed under the cached key, and no new key is made.
        var next = await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[6]);
        var refused = await Assert.ThrowsAsync<DomainException>(() => b.Store.PutAsync(tenant, next, CancellationToken.None));
        Assert.Equal(ErrorCodes.TenantDisabled, refused.Code);
        Assert.IsType<TenantKeyDestroyedException>(refused.InnerException);
        Assert.False(b.Services.GetRequiredService<TenantKeyStore>().IsCached(tenant));
        await Assert.ThrowsAsync<DomainException>(() => a.Store.PutAsync(tenant, photo, CancellationToken.None));
        Assert.Null(await b.Store.GetAsync(tenant, stored.Sha256, CancellationToken.None));
        Assert.Equal(photo, await b.Store.GetAsync(other, stored.Sha256, CancellationToken.None));

        // Nothing in the images schema names the tenant; the tombstone is a digest of its id.
        foreach (var table in new[] { "images.tenant_keys", "images.blobs", "images.stored" })
        {
            Assert.Equal(0L, await ScalarAsync($"SELECT count(*) FROM {table} WHERE tenant_id = @t", tenant));
        }

        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM images.erased_tenants WHERE tenant_digest = sha256(convert_to('detector-images-erased:' || @t::text, 'UTF8'))", tenant));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM images.erased_tenants e WHERE strpos(e::text, replace(@t::text, '-', '')) > 0 OR strpos(e::text, @t::text) > 0", tenant));
    }

    private async Task<long> ScalarAsync(string sql, Guid tenant)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("t", tenant);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
