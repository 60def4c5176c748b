using System.Security.Cryptography;
using Detector.Tests.Integration.Jobs;
using Npgsql;

namespace Detector.Tests.Integration.ImageStorage;

/// <summary>db/0008 on a database that already holds shared, plaintext images (written by 0006's store).</summary>
public sealed class LegacyImagesMigrationTests : IAsyncLifetime
{
    private readonly FreshDatabase _database = new("images_legacy");
    private readonly string _before = Path.Combine(Path.GetTempPath(), "detector-migrations-" + Guid.NewGuid().ToString("N"));

    private string ConnectionString => _database.ConnectionString;

    public Task InitializeAsync() => _database.CreateAsync();

    public async Task DisposeAsync()
    {
        await _database.DropAsync();
        Directory.Delete(_before, recursive: true);
    }

    [Fact]
    public async Task Each_tenant_referencing_a_shared_image_gets_its_own_readable_copy_and_orphans_are_dropped()
    {
        // The schema as it was before 0008, then what that version stored: one photo both tenants
        // uploaded (referenced by a result of A and a job item of B), and one nobody references.
        Directory.CreateDirectory(_before);
        foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "db"), "*.sql").Where(f => string.CompareOrdinal(Path.GetFileName(f), "0008") < 0))
        {
            File.Copy(file, Path.Combine(_before, Path.GetFileName(file)));
        }

        await using (var old = await ImageStoreHost.StartAsync(ConnectionString, new Dictionary<string, string?> { ["Database:MigrationsPath"] = _before }))
        {
        }

        var shared = await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[5]);
        var orphan = await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[6]);
        var sha = Convert.ToHexStringLower(SHA256.HashData(shared));
        var (a, b, job) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await ExecuteAsync(
            """
            INSERT INTO images.blobs (sha256, length, content) VALUES (@sha, length(@shared), @shared), (@orphanSha, length(@orphan), @orphan);
            INSERT INTO results.results (id, tenant_id, created_at, model_name, model_version, image_sha256, image_width, image_height, document)
            VALUES (gen_random_uuid(), @a, now(), 'm', 'v', @sha, 1, 1, '{}');
            INSERT INTO jobs.jobs (id, tenant_id, source, priority, total) VALUES (@job, @b, 'upload', 'normal', 1);
            INSERT INTO jobs.items (job_id, idx, image_sha256) VALUES (@job, 0, @sha);
            """,
            new() { ["sha"] = sha, ["shared"] = shared, ["orphanSha"] = Convert.ToHexStringLower(SHA256.HashData(orphan)), ["orphan"] = orphan, ["a"] = a, ["b"] = b, ["job"] = job });

        await using var now = await ImageStoreHost.StartAsync(ConnectionString, new Dictionary<string, string?>());

        Assert.Equal(shared, await now.Store.GetAsync(a, sha, CancellationToken.None));
        Assert.Equal(shared, await now.Store.GetAsync(b, sha, CancellationToken.None));
        Assert.Null(await now.Store.GetAsync(Guid.NewGuid(), sha, CancellationToken.None));
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM images.blobs", connection))
        {
            Assert.Equal(2L, await count.ExecuteScalarAsync()); // A's and B's copies; the orphan is gone
        }

        // Still plaintext on disk until sealed: `images seal-legacy` seals each under its tenant's key, once.
        const string Plaintext = "SELECT count(*) FROM images.blobs WHERE substring(content FROM 1 FOR 4) <> 'DTI1'::bytea";
        await using (var before = new NpgsqlCommand(Plaintext, connection))
        {
            Assert.Equal(2L, await before.ExecuteScalarAsync());
        }

        var output = new StringWriter();
        Assert.Equal(0, await Detector.Web.ImagesCommand.RunAsync(now.Services, ["images", "seal-legacy"], output, CancellationToken.None));
        Assert.Contains("2 plaintext image(s) sealed", output.ToString(), StringComparison.Ordinal);
        await using (var after = new NpgsqlCommand(Plaintext, connection))
        {
            Assert.Equal(0L, await after.ExecuteScalarAsync());
        }

        Assert.Equal(shared, await now.Store.GetAsync(a, sha, CancellationToken.None));
        Assert.Equal(shared, await now.Store.GetAsync(b, sha, CancellationToken.None));
        var again = new StringWriter();
        Assert.Equal(0, await Detector.Web.ImagesCommand.RunAsync(now.Services, ["images", "seal-legacy"], again, CancellationToken.None));
        Assert.Contains("0 plaintext image(s) sealed, 2 already sealed", again.ToString(), StringComparison.Ordinal);
    }

    private async Task ExecuteAsync(string sql, Dictionary<string, object> parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }
}
