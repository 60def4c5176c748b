using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Xunit.Abstractions;
using static Detector.Tests.Integration.Jobs.JobsTestKit;

namespace Detector.Tests.Integration.Jobs;

/// <summary>
/// Real service processes (`dotnet Detector.Web.dll`) on one fresh database, for tests that kill
/// them with SIGKILL. Owns the database, the image folder and the processes it started.
/// </summary>
internal sealed class CrashHarness(ITestOutputHelper output) : IAsyncDisposable
{
    public const int Images = 200;

    // Recovery settings of these tests; RecoveryBound is derived from them.
    private const double LeaseSeconds = 6;
    private const double SweepSeconds = 1;
    private const double GraceSeconds = 5;
    private const double InvisibilitySeconds = 10;
    private const double LockTimeoutSeconds = 10;
    private const double PollSeconds = 0.2;

    private readonly string _baseConnection = Environment.GetEnvironmentVariable("Database__ConnectionString")
        ?? throw new InvalidOperationException("Database__ConnectionString is not set; run the tests through ./test.sh.");

    private readonly string _database = "jobs_test_" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _imageDir = Path.Combine(Path.GetTempPath(), "detector-jobs-proc-" + Guid.NewGuid().ToString("N"));
    private readonly List<(string Name, ServiceProcess Process)> _started = [];

    /// <summary>
    /// After a kill -9, an item open at the kill is claimable again, with a Hangfire job to run
    /// it, within this time of max(kill, restarted instance ready), plus the work queued ahead of it:
    /// an item the dead process held: its lease runs out and the next sweep re-dispatches it;
    /// an item whose Hangfire job the dead process had fetched or was changing the state of: the
    /// job becomes visible again after the invisibility timeout and its state lock is broken
    /// after the lock timeout (the lock loop retries every second);
    /// an item never dispatched: the grace period, then a sweep; then a worker polls the queue.
    /// </summary>
    public static TimeSpan RecoveryBound => TimeSpan.FromSeconds(
        Math.Max(Math.Max(LeaseSeconds + SweepSeconds, Math.Max(InvisibilitySeconds, LockTimeoutSeconds) + 1), GraceSeconds + SweepSeconds) + PollSeconds);

    public string ConnectionString => new NpgsqlConnectionStringBuilder(_baseConnection) { Database = _database }.ConnectionString;

    public Task CreateDatabaseAsync() => JobsApiFactory.CreateDatabaseAsync(_baseConnection, _database);

    public async Task<ServiceProcess> StartAsync(string instance, int? port = null, IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = Settings(instance);
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        var process = ServiceProcess.Start(port ?? ServiceProcess.FreePort(), settings);
        _started.Add((instance, process));
        await process.WaitReadyAsync(TimeSpan.FromMinutes(2));
        return process;
    }

    public Dictionary<string, string> Settings(string instance) => new()
    {
        ["Database__ConnectionString"] = ConnectionString,
        ["Database__MigrationsPath"] = Path.Combine(TestPaths.RepoRoot, "db"),
        ["Tenancy__AdminApiKey"] = JobsApiFactory.AdminKey,
        ["Tenancy__ApiKeyHashSecret"] = JobsApiFactory.HashSecret,
        ["ImageStore__Encryption__MasterKey"] = TestSecrets.ImageMasterKey,
        ["Compliance__AuditSubjectKey"] = TestSecrets.AuditSubjectKey,
        ["Models__Directory"] = JobsApiFactory.ModelsDirectory,
        // A data folder per instance, as separate hosts have: nothing may rely on a shared disk.
        ["ImageStore__Path"] = Path.Combine(_imageDir, instance),
        ["Deployment__Instances"] = "2",
        ["Jobs__InstanceId"] = instance,
        ["Jobs__ChunkSize"] = "2",
        ["Jobs__LeaseSeconds"] = Invariant(LeaseSeconds),
        ["Jobs__SweepIntervalSeconds"] = Invariant(SweepSeconds),
        ["Jobs__OrphanGraceSeconds"] = Invariant(GraceSeconds),
        ["Jobs__Hangfire__WorkerCount"] = "2",
        ["Jobs__Hangfire__QueuePollIntervalMs"] = Invariant(PollSeconds * 1000),
        ["Jobs__Hangfire__InvisibilityTimeoutSeconds"] = Invariant(InvisibilitySeconds),
        ["Jobs__Hangfire__DistributedLockTimeoutSeconds"] = Invariant(LockTimeoutSeconds),
    };

    public static async Task<HttpClient> TenantClientAsync(Uri baseUri)
    {
        using var admin = new HttpClient { BaseAddress = baseUri };
        admin.DefaultRequestHeaders.Add("X-Api-Key", JobsApiFactory.AdminKey);
        using var response = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name = "crash-test" });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var client = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("X-Api-Key", body.GetProperty("api_key").GetString());
        return client;
    }

    /// <summary>Submits the 200-image job; returns its id and status path.</summary>
    public static async Task<(Guid JobId, string StatusUrl)> SubmitJobAsync(HttpClient client)
    {
        var accepted = await SubmitAsync(client, JobsTestKit.Images(Coco(Images)));
        return (Guid.Parse(accepted.GetProperty("id").GetString()!), accepted.GetProperty("status_url").GetString()!);
    }

    /// <summary>Waits (through the database, so the client's instance may be dead) until at least <paramref name="done"/> items succeeded.</summary>
    public async Task WaitUntilSucceededAsync(Guid jobId, int done, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (await CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND state = 'succeeded'", jobId) < done)
        {
            Assert.True(stopwatch.Elapsed < timeout, $"fewer than {done} items succeeded after {timeout}");
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Kills <paramref name="process"/> at an instant it holds at least one item's lease, so the
    /// next instance starts from expired leases. Between two chunks a worker holds no lease, so a
    /// kill at a random instant can find none (on a fast machine, often); then a fresh instance
    /// takes over on the same port and the kill is tried again, at most five times.
    /// </summary>
    public async Task KillHoldingLeasesAsync(ServiceProcess process, string instance, int port, Guid jobId)
    {
        const string Held = "SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND state = 'running'";
        for (var attempt = 1; ; attempt++)
        {
            var stopwatch = Stopwatch.StartNew();
            while (await CountAsync(Held, jobId) == 0)
            {
                Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"{instance} held no lease for 30 s");
                await Task.Delay(5);
            }

            process.KillHard();
            var held = await CountAsync(Held, jobId);
            output.WriteLine($"killed {instance} (attempt {attempt}) holding {held} lease(s)");
            if (held > 0)
            {
                return;
            }

            Assert.True(attempt < 5, "five kills in a row found no lease held");
            process = await StartAsync($"{instance}-retry{attempt}", port);
        }
    }

    /// <summary>Items per second the job has been processed at so far (first claim to now).</summary>
    public async Task<double> RateSoFarAsync(Guid jobId)
    {
        var done = await CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND state = 'succeeded'", jobId);
        var seconds = await ScalarAsync<double>("SELECT extract(epoch FROM now() - started_at)::float8 FROM jobs.jobs WHERE id = @jobId", jobId);
        return done / Math.Max(seconds, 0.001);
    }

    /// <summary>
    /// Waits for the job to finish within <see cref="RecoveryBound"/> plus twice the time the
    /// remaining items take at <paramref name="rate"/> (twice: a shared two-core machine is
    /// noisy), counted from <paramref name="from"/>; returns the time it took.
    /// </summary>
    public async Task<TimeSpan> AssertFinishesWithinBoundAsync(HttpClient client, string statusUrl, Guid jobId, Stopwatch from, double rate)
    {
        var remaining = Images - await CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND state = 'succeeded'", jobId);
        var bound = RecoveryBound + TimeSpan.FromSeconds(2 * remaining / rate);
        var final = await WaitForTerminalAsync(client, statusUrl, bound - from.Elapsed + TimeSpan.FromSeconds(1));
        var took = from.Elapsed;
        output.WriteLine($"finished {took.TotalSeconds:F1} s after the restarted instance was ready; bound {bound.TotalSeconds:F1} s " +
            $"(recovery {RecoveryBound.TotalSeconds:F1} s + 2 x {remaining} items at {rate:F1}/s)");
        Assert.Equal("succeeded", final.GetProperty("status").GetString());
        Assert.True(took <= bound, $"took {took.TotalSeconds:F1} s, bound {bound.TotalSeconds:F1} s");
        return took;
    }

    /// <summary>Every item succeeded with its own result, and the tenant has exactly one result per item.</summary>
    public async Task AssertExactlyOnceAsync(Guid jobId)
    {
        Assert.Equal(Images, await CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND state = 'succeeded'", jobId));
        Assert.Equal(Images, await CountAsync("SELECT count(DISTINCT result_id) FROM jobs.items WHERE job_id = @jobId", jobId));
        Assert.Equal(Images, await CountAsync(
            "SELECT count(*) FROM results.results r JOIN jobs.items i ON i.result_id = r.id WHERE i.job_id = @jobId", jobId));
        Assert.Equal(Images, await CountAsync(
            "SELECT count(*) FROM results.results WHERE tenant_id = (SELECT tenant_id FROM jobs.jobs WHERE id = @jobId)", jobId));
        Assert.Equal(Images, await CountAsync("SELECT succeeded FROM jobs.jobs WHERE id = @jobId", jobId));
    }

    public Task<long> CountAsync(string sql, Guid jobId) => ScalarAsync<long>(sql, jobId);

    public async Task<T> ScalarAsync<T>(string sql, Guid jobId)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("jobId", jobId);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), CultureInfo.InvariantCulture);
    }

    public async Task<Dictionary<string, long>> ProcessedByAsync(Guid jobId)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT processed_by, count(*) FROM jobs.items WHERE job_id = @jobId GROUP BY processed_by", connection);
        command.Parameters.AddWithValue("jobId", jobId);
        var counts = new Dictionary<string, long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.IsDBNull(0) ? "(none)" : reader.GetString(0)] = reader.GetInt64(1);
        }

        output.WriteLine("processed_by: " + string.Join(", ", counts.Select(kv => $"{kv.Key}={kv.Value}")));
        return counts;
    }

    /// <summary>Writes each started instance's log tail (for a failing test).</summary>
    public void DumpLogs()
    {
        foreach (var (name, process) in _started)
        {
            output.WriteLine($"--- {name} log:\n{process.LogTail()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, process) in _started)
        {
            process.Dispose();
        }

        await JobsApiFactory.DropDatabaseAsync(_baseConnection, _database);
        try
        {
            Directory.Delete(_imageDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);
}
