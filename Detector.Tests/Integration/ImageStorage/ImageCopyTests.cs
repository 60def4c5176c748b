using System.Security.Cryptography;
using Detector.Modules.Images.Contracts;
using Detector.Tests.Integration.Jobs;
using Detector.Web;
using Xunit.Abstractions;

namespace Detector.Tests.Integration.ImageStorage;

/// <summary>`Detector.Web images copy`: a whole store moved between backends, every image verified by its hash.</summary>
public sealed class ImageCopyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly Guid Tenant = Guid.NewGuid();
    private readonly FreshDatabase _database = new("images_copy");
    private readonly string _root = Path.Combine(Path.GetTempPath(), "detector-images-copy-" + Guid.NewGuid().ToString("N"));

    private string ConnectionString => _database.ConnectionString;

    public Task InitializeAsync() => _database.CreateAsync();

    public async Task DisposeAsync()
    {
        await _database.DropAsync();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task A_thousand_images_move_from_a_local_folder_to_postgres_and_back_with_every_hash_verified()
    {
        var source = Path.Combine(_root, "source");
        var images = Images(1000);
        await using (var local = await LocalAsync(source))
        {
            foreach (var image in images)
            {
                await local.Store.PutAsync(Tenant, image, CancellationToken.None);
            }
        }

        var (code, text) = await RunAsync("images", "copy", "--from", "local", "--from-path", source, "--to", "postgres");
        Assert.True(code == 0, text);
        Assert.Contains("listed 1000, copied and verified 1000", text, StringComparison.Ordinal);
        Assert.Contains("corrupt 0, vanished 0, failed 0", text, StringComparison.Ordinal);
        await using (var postgres = await ImageStoreHost.StartAsync(ConnectionString, new Dictionary<string, string?> { ["ImageStore:Backend"] = "Postgres" }))
        {
            await AssertHoldsAsync(postgres.Store, images);
        }

        var back = Path.Combine(_root, "back");
        (code, text) = await RunAsync("images", "copy", "--from", "postgres", "--to", "local", "--to-path", back);
        Assert.True(code == 0, text);
        Assert.Contains("listed 1000, copied and verified 1000", text, StringComparison.Ordinal);
        await using var again = await LocalAsync(back);
        await AssertHoldsAsync(again.Store, images);
    }

    [Fact]
    public async Task A_thousand_images_move_from_a_local_folder_to_s3_and_on_to_postgres_with_every_hash_verified()
    {
        await using var s3 = await S3Server.StartAsync();
        var settings = s3.Settings("__", $"copy-{Guid.NewGuid():N}/").ToDictionary(kv => kv.Key, kv => kv.Value!);
        var source = Path.Combine(_root, "to-s3");
        var images = Images(1000);
        await using (var local = await LocalAsync(source))
        {
            foreach (var image in images)
            {
                await local.Store.PutAsync(Tenant, image, CancellationToken.None);
            }
        }

        var (code, text) = await RunAsync(settings, "images", "copy", "--from", "local", "--from-path", source, "--to", "s3", "--parallel", "8");
        Assert.True(code == 0, text);
        Assert.Contains("images copy local -> s3: listed 1000, copied and verified 1000", text, StringComparison.Ordinal);
        Assert.Contains("corrupt 0, vanished 0, failed 0", text, StringComparison.Ordinal);

        (code, text) = await RunAsync(settings, "images", "copy", "--from", "s3", "--to", "postgres");
        Assert.True(code == 0, text);
        Assert.Contains("images copy s3 -> postgres: listed 1000, copied and verified 1000", text, StringComparison.Ordinal);
        await using var postgres = await ImageStoreHost.StartAsync(ConnectionString, new Dictionary<string, string?> { ["ImageStore:Backend"] = "Postgres" });
        await AssertHoldsAsync(postgres.Store, images);
    }

    [Fact]
    public async Task A_corrupt_image_is_reported_and_not_copied_and_the_copy_exits_non_zero()
    {
        var source = Path.Combine(_root, "corrupt-source");
        var images = Images(5);
        string damaged;
        await using (var local = await LocalAsync(source))
        {
            var stored = new List<StoredImage>();
            foreach (var image in images)
            {
                stored.Add(await local.Store.PutAsync(Tenant, image, CancellationToken.None));
            }

            damaged = stored[2].Sha256;
        }

        var file = Path.Combine(source, Tenant.ToString("N"), damaged[..2], damaged[2..4], damaged);
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[0] ^= 0xFF;
        await File.WriteAllBytesAsync(file, bytes);

        await using var postgres = await ImageStoreHost.StartAsync(ConnectionString, new Dictionary<string, string?> { ["ImageStore:Backend"] = "Postgres" });
        using var writer = new StringWriter();
        var code = await ImagesCommand.RunAsync(postgres.Services, ["images", "copy", "--from", "local", "--from-path", source, "--to", "postgres"], writer, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Contains("listed 5, copied and verified 4", writer.ToString(), StringComparison.Ordinal);
        Assert.Contains("corrupt 1", writer.ToString(), StringComparison.Ordinal);
        Assert.Null(await postgres.Store.GetAsync(Tenant, damaged, CancellationToken.None));
    }

    [Theory]
    [InlineData("images", "copy", "--from", "local")]
    [InlineData("images", "copy", "--from", "s4", "--to", "postgres")]
    [InlineData("images", "copy", "--from", "postgres", "--to", "postgres")]
    [InlineData("images", "copy", "--from", "local", "--to", "s3")]
    [InlineData("images", "move", "--from", "local", "--to", "postgres")]
    [InlineData("images", "copy", "--from", "local", "--to", "postgres", "--parallel", "0")]
    public async Task Bad_arguments_exit_2_with_the_usage(params string[] args)
    {
        await using var host = await ImageStoreHost.StartAsync(ConnectionString, new Dictionary<string, string?>());
        using var writer = new StringWriter();

        Assert.Equal(2, await ImagesCommand.RunAsync(host.Services, args, writer, CancellationToken.None));
        Assert.StartsWith("images: ", writer.ToString(), StringComparison.Ordinal);
    }

    private Task<ImageStoreHost> LocalAsync(string folder) =>
        ImageStoreHost.StartAsync(ConnectionString, new Dictionary<string, string?> { ["ImageStore:Backend"] = "Local", ["ImageStore:Path"] = folder });

    /// <summary>A few real photos, the rest random bytes of 1 to 48 KB: all different.</summary>
    private static List<byte[]> Images(int count)
    {
        var random = new Random(count);
        return Enumerable.Range(0, count).Select(i =>
        {
            if (i < 3)
            {
                return File.ReadAllBytes(JobsTestKit.CocoFiles[i]);
            }

            var bytes = new byte[random.Next(1024, 48 * 1024)];
            random.NextBytes(bytes);
            return bytes;
        }).ToList();
    }

    private static async Task AssertHoldsAsync(IImageStore store, List<byte[]> images)
    {
        foreach (var image in images)
        {
            Assert.Equal(image, await store.GetAsync(Tenant, Convert.ToHexStringLower(SHA256.HashData(image)), CancellationToken.None));
        }
    }

    private Task<(int Code, string Output)> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    private async Task<(int Code, string Output)> RunAsync(Dictionary<string, string> environment, params string[] args)
    {
        var settings = new Dictionary<string, string>
        {
            ["Database__ConnectionString"] = ConnectionString,
            ["Database__MigrationsPath"] = Path.Combine(TestPaths.RepoRoot, "db"),
            ["ImageStore__Encryption__MasterKey"] = TestSecrets.ImageMasterKey,
        };
        foreach (var (key, value) in environment)
        {
            settings[key] = value;
        }

        var (code, text) = await WebCommand.RunAsync(args, settings, TimeSpan.FromMinutes(3));
        output.WriteLine(text);
        return (code, text);
    }
}
