using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Jobs.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Detector.Tests.Integration.Jobs;

[CollectionDefinition("Jobs", DisableParallelization = true)]
public sealed class JobsTestGroup;

/// <summary>
/// The service over real HTTP (Kestrel on a loopback port) against its own fresh PostgreSQL
/// database (jobs_test_&lt;random&gt; on the cluster of Database__ConnectionString), dropped at the end.
/// </summary>
public class JobsApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminKey = "jobs-test-admin-key-0123456789abcdef";
    public const string HashSecret = "jobs-test-api-key-hash-secret-0123456789abcdef";

    private readonly string _imageDir = Path.Combine(Path.GetTempPath(), "detector-jobs-" + Guid.NewGuid().ToString("N"));

    public JobsApiFactory()
    {
        var baseConnection = Environment.GetEnvironmentVariable("Database__ConnectionString");
        if (string.IsNullOrWhiteSpace(baseConnection))
        {
            throw new InvalidOperationException("Database__ConnectionString is not set; run the tests through ./test.sh (it starts PostgreSQL and exports it).");
        }

        BaseConnectionString = baseConnection;
        DatabaseName = "jobs_test_" + Guid.NewGuid().ToString("N")[..12];
        ConnectionString = new NpgsqlConnectionStringBuilder(baseConnection) { Database = DatabaseName }.ConnectionString;
    }

    public string BaseConnectionString { get; }

    public string DatabaseName { get; }

    public string ConnectionString { get; }

    /// <summary>Extra configuration for derived fixtures (applied last).</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> ExtraSettings() => [];

    /// <summary>Service replacements for derived fixtures (stub resolver, connectors...).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public virtual async Task InitializeAsync()
    {
        await CreateDatabaseAsync(BaseConnectionString, DatabaseName);
        UseKestrel(0);
        StartServer();
    }

    public new virtual async Task DisposeAsync()
    {
        await base.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await DropDatabaseAsync(BaseConnectionString, DatabaseName);
        try
        {
            Directory.Delete(_imageDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static async Task CreateDatabaseAsync(string baseConnection, string name)
    {
        await using var connection = new NpgsqlConnection(baseConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Drops a test database without racing anything still connected to it: new connections are
    /// refused first, WITH (FORCE) ends the sessions a killed service process left behind, and a
    /// refusal to end a session (an autovacuum worker, which only pg_signal_backend may end;
    /// deploy/dev-env.sh grants it on the private cluster) is retried for a bounded time.
    /// </summary>
    public static async Task DropDatabaseAsync(string baseConnection, string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(baseConnection);
        await connection.OpenAsync();
        await using (var close = new NpgsqlCommand($"ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false", connection))
        {
            try
            {
                await close.ExecuteNonQueryAsync();
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
            {
                return;
            }
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
                await command.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException ex) when (attempt < 40 && ex.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse)
            {
                await Task.Delay(250);
            }
        }
    }

    public static string ModelsDirectory =>
        Environment.GetEnvironmentVariable("Models__Directory") is { Length: > 0 } m ? m : TestPaths.Models;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        var settings = new Dictionary<string, string?>
        {
            ["Database:ConnectionString"] = ConnectionString,
            ["Database:MigrationsPath"] = Path.Combine(TestPaths.RepoRoot, "db"),
            ["Tenancy:AdminApiKey"] = AdminKey,
            ["Tenancy:ApiKeyHashSecret"] = HashSecret,
            ["ImageStore:Encryption:MasterKey"] = TestSecrets.ImageMasterKey,
            ["Compliance:AuditSubjectKey"] = TestSecrets.AuditSubjectKey,
            ["Models:Directory"] = ModelsDirectory,
            ["ImageStore:Path"] = _imageDir,
            ["Jobs:ChunkSize"] = "4",
            ["Jobs:SweepIntervalSeconds"] = "1",
            ["Jobs:OrphanGraceSeconds"] = "5",
            ["Jobs:RetryInitialDelaySeconds"] = "0.2",
            ["Jobs:Hangfire:QueuePollIntervalMs"] = "200",
            ["Jobs:Hangfire:SchedulePollingIntervalMs"] = "200",
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["Shutdown:DrainDelaySeconds"] = "0", // in-process hosts stop at once; ShutdownTests covers the drain
        };
        foreach (var (key, value) in ExtraSettings())
        {
            settings[key] = value;
        }

        builder.ConfigureAppConfiguration(c => c.AddInMemoryCollection(settings));
        builder.ConfigureTestServices(ConfigureServices);
    }

    /// <summary>A job of <paramref name="count"/> stored COCO images, committed but never dispatched.</summary>
    public async Task<(Guid TenantId, Guid JobId)> CreateUndispatchedJobAsync(int count, Guid? tenant = null)
    {
        Guid tenantId;
        if (tenant is { } given)
        {
            tenantId = given;
        }
        else
        {
            using var admin = Admin();
            using var created = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name = "undispatched" });
            created.EnsureSuccessStatusCode();
            tenantId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        }

        var images = Services.GetRequiredService<IImageStore>();
        var items = new List<NewItem>();
        foreach (var (name, bytes) in JobsTestKit.Coco(count))
        {
            var stored = await images.PutAsync(tenantId, bytes, CancellationToken.None);
            items.Add(new NewItem(items.Count, name, null, stored.Sha256));
        }

        var jobId = Guid.CreateVersion7();
        await Services.GetRequiredService<JobStore>().CreateAsync(
            new NewJob(jobId, tenantId, "upload", "normal", null, null, null, null, null), items, CancellationToken.None);
        return (tenantId, jobId);
    }

    public async Task<Guid> QueryTenantOfJobAsync(Guid jobId)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT tenant_id FROM jobs.jobs WHERE id = @jobId", connection);
        command.Parameters.AddWithValue("jobId", jobId);
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    public async Task<long> CountAsync(string sql, Guid jobId)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("jobId", jobId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Waits (through the database) until the job is terminal; returns its status.</summary>
    public async Task<string> WaitForJobAsync(Guid jobId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT status FROM jobs.jobs WHERE id = @jobId", connection);
            command.Parameters.AddWithValue("jobId", jobId);
            var status = (string)(await command.ExecuteScalarAsync())!;
            if (Detector.Modules.Jobs.Contracts.JobStatus.IsTerminal(status))
            {
                return status;
            }

            Assert.True(DateTime.UtcNow < deadline, $"job {jobId} still {status} after {timeout}");
            await Task.Delay(100);
        }
    }

    public HttpClient Admin()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        return client;
    }

    /// <summary>A client with the API key of a new tenant.</summary>
    public async Task<HttpClient> NewTenantAsync(string name = "jobs-tenant")
    {
        using var admin = Admin();
        using var response = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", body.GetProperty("api_key").GetString());
        return client;
    }
}

/// <summary>Test images and HTTP helpers shared by the jobs tests.</summary>
internal static class JobsTestKit
{
    public static readonly string[] CocoFiles = Directory.GetFiles(Path.Combine(TestPaths.Coco, "val2017"), "*.jpg").Order().ToArray();

    public static MultipartFormDataContent Images(IEnumerable<(string Name, byte[] Bytes)> images)
    {
        var content = new MultipartFormDataContent();
        foreach (var (name, bytes) in images)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            content.Add(part, "images", name);
        }

        return content;
    }

    public static IEnumerable<(string Name, byte[] Bytes)> Coco(int count) =>
        Enumerable.Range(0, count).Select(i => (Path.GetFileName(CocoFiles[i % CocoFiles.Length]), File.ReadAllBytes(CocoFiles[i % CocoFiles.Length])));

    /// <summary>
    /// A sync detection that must succeed: the suite runs other classes alongside, so a 503
    /// (overloaded, model loading) is retried after its Retry-After.
    /// </summary>
    public static async Task<JsonElement> DetectAsync(HttpClient client, byte[] image, string? idempotencyKey = null) =>
        // Callers look at the store next: the image may be written just after the answer.
        await StoredImages.SettledAsync(client, await StoredImages.DetectAsync(client, image, idempotencyKey));

    public static async Task<JsonElement> SubmitAsync(HttpClient client, HttpContent content, string query = "")
    {
        using var response = await client.PostAsync("/v1/jobs" + query, content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {body}");
        Assert.NotNull(response.Headers.Location);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<JsonElement> GetJsonAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<JsonElement> WaitForTerminalAsync(HttpClient client, string statusUrl, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var job = await GetJsonAsync(client, statusUrl);
            var status = job.GetProperty("status").GetString();
            if (status is "succeeded" or "partially_failed" or "failed" or "cancelled")
            {
                return job;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Job still {status} after {timeout}: {job}");
            }

            await Task.Delay(200);
        }
    }
}
