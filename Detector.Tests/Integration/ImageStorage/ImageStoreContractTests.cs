using System.Security.Cryptography;
using Detector.Modules.Images.Contracts;
using Detector.Tests.Integration.Jobs;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Detector.Tests.Integration.ImageStorage;

/// <summary>
/// What every image store backend must do, written once: each backend's test class only says how
/// to configure it. A new backend passes this suite unchanged before it is offered.
/// </summary>
public abstract class ImageStoreContractTests : IAsyncLifetime
{
    private readonly string _baseConnection = Environment.GetEnvironmentVariable("Database__ConnectionString")
        ?? throw new InvalidOperationException("Database__ConnectionString is not set; run the tests through ./test.sh.");

    private readonly string _database = "images_test_" + Guid.NewGuid().ToString("N")[..12];
    private ImageStoreHost? _host;

    protected abstract IDictionary<string, string?> Backend { get; }

    /// <summary>The tenant whose images these tests store (images are per tenant).</summary>
    private protected Guid Tenant { get; } = Guid.NewGuid();

    private protected ImageStoreHost Host => _host ?? throw new InvalidOperationException("not initialised");

    private IImageStore Store => Host.Store;

    public async Task InitializeAsync()
    {
        await JobsApiFactory.CreateDatabaseAsync(_baseConnection, _database);
        _host = await ImageStoreHost.StartAsync(new NpgsqlConnectionStringBuilder(_baseConnection) { Database = _database }.ConnectionString, Backend);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        await JobsApiFactory.DropDatabaseAsync(_baseConnection, _database);
    }

    [Fact]
    public async Task A_photo_is_stored_under_its_sha256_and_read_back_byte_for_byte()
    {
        var photo = await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[0]);
        var stored = await Store.PutAsync(Tenant, photo, CancellationToken.None);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(photo)), stored.Sha256);
        Assert.Equal(photo.Length, stored.Length);
        Assert.Equal(photo, await Store.GetAsync(Tenant, stored.Sha256, CancellationToken.None));
    }

    [Fact]
    public async Task Erasing_a_tenant_removes_all_its_images_and_its_key_and_nothing_of_another_tenant()
    {
        var other = Guid.NewGuid();
        var photo = await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[0]);
        var mine = await Store.PutAsync(Tenant, photo, CancellationToken.None);
        var second = await Store.PutAsync(Tenant, await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[1]), CancellationToken.None);
        var theirs = await Store.PutAsync(other, photo, CancellationToken.None);

        var erased = await Store.EraseTenantAsync(Tenant, CancellationToken.None);

        Assert.Equal(new TenantImagesErasure(2, 1), erased);
        Assert.Null(await Store.GetAsync(Tenant, mine.Sha256, CancellationToken.None));
        Assert.Null(await Store.GetAsync(Tenant, second.Sha256, CancellationToken.None));
        Assert.Equal(photo, await Store.GetAsync(other, theirs.Sha256, CancellationToken.None));
        var left = new List<string>();
        await foreach (var key in Host.Services.GetRequiredService<Detector.Modules.Images.Storage.IImageBackend>().ListAsync(CancellationToken.None))
        {
            left.Add(key.ToString());
        }

        Assert.Equal([$"{other:N}/{theirs.Sha256}"], left);
        Assert.Equal(new TenantImagesErasure(0, 0), await Store.EraseTenantAsync(Tenant, CancellationToken.None));
    }

    [Fact]
    public async Task A_large_image_round_trips_whole()
    {
        var large = new byte[3 * 1024 * 1024 + 17];
        new Random(11).NextBytes(large);
        var stored = await Store.PutAsync(Tenant, large, CancellationToken.None);

        Assert.Equal(large, await Store.GetAsync(Tenant, stored.Sha256, CancellationToken.None));
    }

    [Fact]
    public async Task A_slice_of_a_larger_buffer_stores_only_the_slice()
    {
        // Uploads arrive in pooled buffers longer than the image.
        var buffer = new byte[4096];
        new Random(5).NextBytes(buffer);
        var slice = buffer.AsMemory(100, 1000);
        var stored = await Store.PutAsync(Tenant, slice, CancellationToken.None);

        Assert.Equal(1000, stored.Length);
        Assert.Equal(slice.ToArray(), await Store.GetAsync(Tenant, stored.Sha256, CancellationToken.None));
    }

    [Fact]
    public async Task The_same_bytes_stored_by_many_callers_at_once_all_succeed_with_one_address()
    {
        var photo = await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[1]);
        var stored = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Store.PutAsync(Tenant, photo, CancellationToken.None))));

        Assert.Single(stored.Select(s => s.Sha256).Distinct());
        Assert.Equal(photo, await Store.GetAsync(Tenant, stored[0].Sha256, CancellationToken.None));
    }

    [Fact]
    public async Task A_put_says_it_created_the_blob_only_when_the_tenant_did_not_have_those_bytes()
    {
        var photo = await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[4]);

        Assert.True((await Store.PutAsync(Tenant, photo, CancellationToken.None)).Created);
        Assert.False((await Store.PutAsync(Tenant, photo, CancellationToken.None)).Created);
        Assert.True((await Store.PutAsync(Guid.NewGuid(), photo, CancellationToken.None)).Created);
    }

    [Fact]
    public async Task Different_images_never_share_an_address()
    {
        var a = await Store.PutAsync(Tenant, await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[2]), CancellationToken.None);
        var b = await Store.PutAsync(Tenant, await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[3]), CancellationToken.None);

        Assert.NotEqual(a.Sha256, b.Sha256);
        Assert.NotEqual(await Store.GetAsync(Tenant, a.Sha256, CancellationToken.None), await Store.GetAsync(Tenant, b.Sha256, CancellationToken.None));
    }

    [Fact]
    public async Task An_address_never_stored_reads_as_null()
    {
        Assert.Null(await Store.GetAsync(Tenant, new string('0', 64), CancellationToken.None));
    }

    [Theory]
    [InlineData("")]
    [InlineData("../../etc/passwd")]
    [InlineData("ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")]
    [InlineData("0123")]
    public async Task A_malformed_address_is_refused(string address)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.GetAsync(Tenant, address, CancellationToken.None));
    }

    [Fact]
    public async Task The_readiness_check_reports_a_reachable_store_healthy()
    {
        var report = await _host!.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Healthy, report.Entries["image-store"].Status);
    }
}

public sealed class PostgresImageStoreTests : ImageStoreContractTests
{
    protected override IDictionary<string, string?> Backend => new Dictionary<string, string?> { ["ImageStore:Backend"] = "Postgres" };

    [Fact]
    public async Task The_same_bytes_stored_twice_are_one_row()
    {
        var photo = await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[4]);
        var stored = await Host.Store.PutAsync(Tenant, photo, CancellationToken.None);
        await Host.Store.PutAsync(Tenant, photo, CancellationToken.None);

        await using var connection = new NpgsqlConnection(Host.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*), min(length) FROM images.blobs WHERE sha256 = @sha256", connection);
        command.Parameters.AddWithValue("sha256", stored.Sha256);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(1L, reader.GetInt64(0));
        Assert.Equal(photo.Length + Detector.Modules.Images.Encryption.BlobCipher.Overhead, reader.GetInt64(1)); // sealed: magic, nonce, tag
    }
}

public sealed class LocalImageStoreTests : ImageStoreContractTests
{
    protected override IDictionary<string, string?> Backend => new Dictionary<string, string?> { ["ImageStore:Backend"] = "Local" };

    [Fact]
    public async Task The_sweep_removes_temporaries_older_than_the_bound_and_nothing_else()
    {
        var stored = await Host.Store.PutAsync(Tenant, await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[3]), CancellationToken.None);
        var root = Path.GetFullPath(Host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Detector.Modules.Images.ImageStoreOptions>>().Value.Path);
        var folder = Path.Combine(root, Tenant.ToString("N"), stored.Sha256[..2], stored.Sha256[2..4]);
        var old = Path.Combine(folder, stored.Sha256 + ".killed.tmp");
        var fresh = Path.Combine(folder, stored.Sha256 + ".writing.tmp");
        await File.WriteAllBytesAsync(old, [1]);
        await File.WriteAllBytesAsync(fresh, [2]);
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddHours(-2));

        Assert.Equal(1, await Host.Services.GetRequiredService<Detector.Modules.Images.Storage.StraySweep>().SweepOnceAsync(CancellationToken.None));

        Assert.False(File.Exists(old));
        Assert.True(File.Exists(fresh)); // a write may still be under way
        Assert.NotNull(await Host.Store.GetAsync(Tenant, stored.Sha256, CancellationToken.None));
    }

    [Fact]
    public async Task Erasing_a_tenant_removes_its_folder_temporaries_and_all()
    {
        await Host.Store.PutAsync(Tenant, await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[2]), CancellationToken.None);
        var root = Path.GetFullPath(Host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Detector.Modules.Images.ImageStoreOptions>>().Value.Path);
        var folder = Path.Combine(root, Tenant.ToString("N"));
        await File.WriteAllBytesAsync(Path.Combine(folder, "interrupted.tmp"), [1, 2, 3]);

        Assert.Equal(1, (await Host.Store.EraseTenantAsync(Tenant, CancellationToken.None)).Blobs);

        Assert.False(Directory.Exists(folder));
    }
}

public sealed class S3ImageStoreTests(S3ServerFixture s3) : ImageStoreContractTests, IClassFixture<S3ServerFixture>
{
    // A key prefix per test: the tests of this class share one server and bucket.
    private readonly string _prefix = $"t-{Guid.NewGuid():N}/";

    protected override IDictionary<string, string?> Backend
    {
        get
        {
            var settings = s3.Server.Settings(keyPrefix: _prefix);
            // Multipart from 5 MiB (the least S3 accepts per part), so a 12 MB image goes in three parts.
            settings["ImageStore:S3:PartBytes"] = "5242880";
            settings["ImageStore:S3:MultipartThresholdBytes"] = "5242880";
            return settings;
        }
    }

    [Fact]
    public async Task The_sweep_passes_over_a_store_that_cannot_list_unfinished_uploads()
    {
        // The local test server (like some S3-compatible stores) answers NotImplemented to
        // ListMultipartUploads: the sweep must not fail every round there (AWS S3 and MinIO list them).
        var backend = Host.Services.GetRequiredService<Detector.Modules.Images.Storage.S3.S3ImageStore>();
        Assert.Equal(0, await backend.SweepStraysAsync(DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None));
    }

    [Fact]
    public async Task An_image_above_the_multipart_threshold_goes_up_in_parts_and_comes_back_whole()
    {
        var large = new byte[12 * 1024 * 1024 + 3];
        new Random(12).NextBytes(large);
        var partsBefore = Detector.Modules.Images.ImagesMetrics.Parts.WithLabels("s3").Value;
        var stored = await Host.Store.PutAsync(Tenant, large, CancellationToken.None);
        await Host.Store.PutAsync(Tenant, large, CancellationToken.None);

        Assert.Equal(large, await Host.Store.GetAsync(Tenant, stored.Sha256, CancellationToken.None));
        var listed = new List<Detector.Modules.Images.Storage.ImageKey>();
        await foreach (var address in Host.Services.GetRequiredService<Detector.Modules.Images.Storage.S3.S3ImageStore>().ListAsync(CancellationToken.None))
        {
            listed.Add(address);
        }

        Assert.Equal([new Detector.Modules.Images.Storage.ImageKey(Tenant, stored.Sha256)], listed);
        Assert.Equal(3, Detector.Modules.Images.ImagesMetrics.Parts.WithLabels("s3").Value - partsBefore);
    }

    [Fact]
    public async Task An_unreachable_store_is_retried_then_fails_and_readiness_says_unreachable()
    {
        var settings = Backend;
        settings["ImageStore:S3:ServiceUrl"] = $"http://127.0.0.1:{Jobs.ServiceProcess.FreePort()}";
        settings["ImageStore:S3:MaxRetries"] = "2";
        await using var unreachable = await ImageStoreHost.StartAsync(Host.ConnectionString, settings);
        var retriesBefore = Detector.Modules.Images.ImagesMetrics.Retries.WithLabels("s3").Value;

        await Assert.ThrowsAnyAsync<Exception>(() => unreachable.Store.PutAsync(Tenant, new byte[] { 1, 2, 3 }, CancellationToken.None));

        Assert.Equal(2, Detector.Modules.Images.ImagesMetrics.Retries.WithLabels("s3").Value - retriesBefore);
        var report = await unreachable.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(CancellationToken.None);
        Assert.Equal(HealthStatus.Unhealthy, report.Entries["image-store"].Status);
        Assert.DoesNotContain(S3Server.SecretAccessKey, report.Entries["image-store"].Description ?? "", StringComparison.Ordinal);
    }
}
