using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Modules.Common;
using Detector.Modules.Images.Encryption;
using Detector.Tests.Integration.Jobs;
using Npgsql;

namespace Detector.Tests.Integration.Chaos;

/// <summary>
/// The image store's disk fills up under the running service (the Local backend on a 2 MB tmpfs,
/// mounted in the service's own mount namespace by <c>unshare</c>): every upload gets a 200 or a
/// 507 <c>storage_full</c> problem, never a 500; no half-written or temporary file stays; only
/// the images of answered requests are on the disk; and once space is freed uploads succeed again.
/// </summary>
[Collection("Jobs")]
public sealed class FullImageStoreTests : IAsyncLifetime
{
    private readonly string _baseConnection = Environment.GetEnvironmentVariable("Database__ConnectionString")
        ?? throw new InvalidOperationException("Database__ConnectionString is not set; run the tests through ./test.sh.");

    private readonly string _database = "full_store_" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "detector-full-" + Guid.NewGuid().ToString("N"));
    private ServiceProcess? _service;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        await JobsApiFactory.CreateDatabaseAsync(_baseConnection, _database);
        var env = new Dictionary<string, string>
        {
            ["Database__ConnectionString"] = new NpgsqlConnectionStringBuilder(_baseConnection) { Database = _database }.ConnectionString,
            ["Database__MigrationsPath"] = Path.Combine(TestPaths.RepoRoot, "db"),
            ["Tenancy__AdminApiKey"] = JobsApiFactory.AdminKey,
            ["Tenancy__ApiKeyHashSecret"] = JobsApiFactory.HashSecret,
            ["ImageStore__Encryption__MasterKey"] = TestSecrets.ImageMasterKey,
            ["Compliance__AuditSubjectKey"] = TestSecrets.AuditSubjectKey,
            ["ImageStore__Backend"] = "Local",
            ["ImageStore__Path"] = _dir,
            ["Models__Directory"] = JobsApiFactory.ModelsDirectory,
            ["Models__Enabled__0"] = "yolox_nano_416",
        };

        // A private mount namespace (as root, or as a user through a user namespace): the tmpfs
        // exists for the service alone and goes away with it.
        string[] launcher = ["unshare", "--mount", "--map-root-user", "--", "sh", "-c", "mount -t tmpfs -o size=2m tmpfs \"$0\" && exec \"$@\"", _dir];
        _service = ServiceProcess.Start(ServiceProcess.FreePort(), env, launcher);
        await _service.WaitReadyAsync(TimeSpan.FromMinutes(2));
    }

    public async Task DisposeAsync()
    {
        _service?.Dispose();
        await JobsApiFactory.DropDatabaseAsync(_baseConnection, _database);
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Answers are fast enough to meet the plan's rate limit: a 429 is waited out and the request sent again.</summary>
    private static async Task<HttpResponseMessage> SendHonouringRateLimitAsync(HttpClient client, Func<HttpRequestMessage> request)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var message = request();
            var response = await client.SendAsync(message);
            if (response.StatusCode != HttpStatusCode.TooManyRequests || attempt == 20)
            {
                return response;
            }

            await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
            response.Dispose();
        }
    }

    private static Func<HttpRequestMessage> Detect(byte[] photo) => () => new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = Jpeg(photo) };

    [Fact]
    public async Task A_full_disk_answers_507_or_says_not_stored_keeps_no_partial_file_and_serves_again_once_space_is_freed()
    {
        var service = _service!;
        using var client = await NewTenantAsync(service.BaseUri);
        var photos = Directory.GetFiles(Path.Combine(TestPaths.Coco, "val2017"), "*.jpg")
            .Concat(Directory.GetFiles(Path.Combine(TestPaths.Coco, "train2017"), "*.jpg"))
            .Order(StringComparer.Ordinal)
            .Select(File.ReadAllBytes)
            .ToList();

        var stored = new List<string>();
        var full = 0;
        foreach (var photo in photos)
        {
            using var response = await SendHonouringRateLimitAsync(client, Detect(photo));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                // Answered: its image stored, or (stored after the answer, the first to meet the
                // full disk) the result says it is not.
                var body = await StoredImages.SettledAsync(client, await response.Content.ReadFromJsonAsync<JsonElement>());
                switch (StoredImages.Of(body))
                {
                    case ("stored", _):
                        stored.Add(body.GetProperty("image").GetProperty("sha256").GetString()!);
                        break;
                    case var other:
                        Assert.Equal(("not_stored", "store_failed"), other);
                        full++;
                        break;
                }

                continue;
            }

            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.InsufficientStorage, ErrorCodes.StorageFull);
            Assert.NotNull(response.Headers.RetryAfter);
            full++;
        }

        Assert.True(stored.Count > 0 && full > 0, $"{stored.Count} stored, {full} refused or not stored as full: the disk should have filled part way");

        // On the service's own view of the disk: the answered images, whole, and nothing else.
        var files = Directory.GetFiles($"/proc/{service.Id}/root{_dir}", "*", SearchOption.AllDirectories);
        Assert.DoesNotContain(files, f => f.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.Equal(stored.Order(StringComparer.Ordinal), files.Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.All(files, f => Assert.True(new FileInfo(f).Length > BlobCipher.Overhead));

        // Space freed: the service stores again, with nothing restarted.
        foreach (var sha in stored.Take(4))
        {
            using var deleted = await SendHonouringRateLimitAsync(client, () => new HttpRequestMessage(HttpMethod.Delete, "/v1/images/" + sha));
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using var again = await SendHonouringRateLimitAsync(client, Detect(photos[^1]));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    private static async Task<HttpClient> NewTenantAsync(Uri baseUri)
    {
        using var admin = new HttpClient { BaseAddress = baseUri };
        admin.DefaultRequestHeaders.Add("X-Api-Key", JobsApiFactory.AdminKey);
        using var created = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name = "full-disk" });
        created.EnsureSuccessStatusCode();
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("api_key").GetString();
        var client = new HttpClient { BaseAddress = baseUri };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static ByteArrayContent Jpeg(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("image/jpeg");
        return content;
    }
}
