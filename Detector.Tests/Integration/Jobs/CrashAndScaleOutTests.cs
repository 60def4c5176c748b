using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Xunit.Abstractions;
using static Detector.Tests.Integration.Jobs.JobsTestKit;

namespace Detector.Tests.Integration.Jobs;

/// <summary>
/// The service as real child processes on a fresh database: killed with SIGKILL in the middle of a
/// 200-image job and restarted, and two instances sharing one database.
/// </summary>
[Collection("Jobs")]
public sealed class CrashAndScaleOutTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Images = 200;
    private static readonly TimeSpan TestBudget = TimeSpan.FromMinutes(5);

    private readonly string _baseConnection = Environment.GetEnvironmentVariable("Database__ConnectionString")
        ?? throw new InvalidOperationException("Database__ConnectionString is not set; run the tests through ./test.sh.");

    private readonly string _database = "jobs_test_" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _imageDir = Path.Combine(Path.GetTempPath(), "detector-jobs-proc-" + Guid.NewGuid().ToString("N"));

    private string ConnectionString => new NpgsqlConnectionStringBuilder(_baseConnection) { Database = _database }.ConnectionString;

    public Task InitializeAsync() => JobsApiFactory.CreateDatabaseAsync(_baseConnection, _database);

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await JobsApiFactory.DropDatabaseAsync(_baseConnection, _database);
        try
        {
            Directory.Delete(_imageDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_service_killed_mid_job_and_restarted_finishes_every_item_exactly_once()
    {
        using var budget = new CancellationTokenSource(TestBudget);
        var port = ServiceProcess.FreePort();
        var first = ServiceProcess.Start(port, ServiceEnvironment("crash-1"));
        ServiceProcess? second = null;
        try
        {
            await first.WaitReadyAsync(TimeSpan.FromMinutes(2));
            using var client = await TenantClientAsync(first.BaseUri);
            var accepted = await SubmitAsync(client, ImagesContent(Coco(Images)));
            var jobId = Guid.Parse(accepted.GetProperty("id").GetString()!);
            var statusUrl = accepted.GetProperty("status_url").GetString()!;

            // Wait until some but not all items are done, then SIGKILL.
            int done;
            while (true)
            {
                budget.Token.ThrowIfCancellationRequested();
                var job = await GetJsonAsync(client, statusUrl);
                done = job.GetProperty("counts").GetProperty("succeeded").GetInt32();
                if (done >= 50)
                {
                    break;
                }

                await Task.Delay(50, budget.Token);
            }

            first.KillHard();
            var doneAtKill = await CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND state = 'succeeded'", jobId);
            output.WriteLine($"killed with {doneAtKill} of {Images} items done (API saw {done})");
            Assert.InRange(doneAtKill, 1, Images - 1);

            second = ServiceProcess.Start(port, ServiceEnvironment("crash-2"));
            await second.WaitReadyAsync(TimeSpan.FromMinutes(2));
            var final = await WaitForTerminalAsync(client, statusUrl, TestBudget);
            Assert.Equal("succeeded", final.GetProperty("status").GetString());
            await AssertExactlyOnceAsync(jobId);

            var byInstance = await ProcessedByAsync(jobId);
            output.WriteLine("processed_by: " + string.Join(", ", byInstance.Select(kv => $"{kv.Key}={kv.Value}")));
            Assert.True(byInstance.GetValueOrDefault("crash-2") > 0, "the restarted instance finished the job");
        }
        catch
        {
            output.WriteLine("first instance log:\n" + first.LogTail());
            output.WriteLine("second instance log:\n" + second?.LogTail());
            throw;
        }
        finally
        {
            first.Dispose();
            second?.Dispose();
        }
    }

    [Fact]
    public async Task Two_instances_sharing_one_database_process_one_job_each_item_exactly_once()
    {
        using var budget = new CancellationTokenSource(TestBudget);
        var a = ServiceProcess.Start(ServiceProcess.FreePort(), ServiceEnvironment("instance-a"));
        ServiceProcess? b = null;
        try
        {
            await a.WaitReadyAsync(TimeSpan.FromMinutes(2));
            b = ServiceProcess.Start(ServiceProcess.FreePort(), ServiceEnvironment("instance-b"));
            await b.WaitReadyAsync(TimeSpan.FromMinutes(2));

            using var client = await TenantClientAsync(a.BaseUri);
            var accepted = await SubmitAsync(client, ImagesContent(Coco(Images)));
            var jobId = Guid.Parse(accepted.GetProperty("id").GetString()!);
            var final = await WaitForTerminalAsync(client, accepted.GetProperty("status_url").GetString()!, TestBudget);
            Assert.Equal("succeeded", final.GetProperty("status").GetString());
            await AssertExactlyOnceAsync(jobId);

            var byInstance = await ProcessedByAsync(jobId);
            output.WriteLine("processed_by: " + string.Join(", ", byInstance.Select(kv => $"{kv.Key}={kv.Value}")));
            Assert.True(byInstance.GetValueOrDefault("instance-a") > 0, "instance a did work");
            Assert.True(byInstance.GetValueOrDefault("instance-b") > 0, "instance b did work");
            Assert.Equal(Images, byInstance.Values.Sum());
        }
        catch
        {
            output.WriteLine("instance a log:\n" + a.LogTail());
            output.WriteLine("instance b log:\n" + b?.LogTail());
            throw;
        }
        finally
        {
            a.Dispose();
            b?.Dispose();
        }
    }

    private Dictionary<string, string> ServiceEnvironment(string instance) => new()
    {
        ["Database__ConnectionString"] = ConnectionString,
        ["Database__MigrationsPath"] = Path.Combine(TestPaths.RepoRoot, "db"),
        ["Detector__AdminApiKey"] = JobsApiFactory.AdminKey,
        ["Models__Directory"] = JobsApiFactory.ModelsDirectory,
        ["ImageStore__Path"] = _imageDir,
        ["Jobs__InstanceId"] = instance,
        ["Jobs__ChunkSize"] = "2",
        ["Jobs__SweepIntervalSeconds"] = "2",
        ["Jobs__OrphanGraceSeconds"] = "5",
        ["Jobs__StaleProcessingSeconds"] = "30",
        ["Jobs__Hangfire__WorkerCount"] = "2",
        ["Jobs__Hangfire__QueuePollIntervalMs"] = "200",
        ["Jobs__Hangfire__InvisibilityTimeoutSeconds"] = "10",
    };

    private static MultipartFormDataContent ImagesContent(IEnumerable<(string Name, byte[] Bytes)> images) => JobsTestKit.Images(images);

    private static async Task<HttpClient> TenantClientAsync(Uri baseUri)
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

    /// <summary>Every item succeeded with its own result, and the tenant has exactly one result per item.</summary>
    private async Task AssertExactlyOnceAsync(Guid jobId)
    {
        Assert.Equal(Images, await CountAsync("SELECT count(*) FROM jobs.items WHERE job_id = @jobId AND state = 'succeeded'", jobId));
        Assert.Equal(Images, await CountAsync("SELECT count(DISTINCT result_id) FROM jobs.items WHERE job_id = @jobId", jobId));
        Assert.Equal(Images, await CountAsync(
            "SELECT count(*) FROM results.results r JOIN jobs.items i ON i.result_id = r.id WHERE i.job_id = @jobId", jobId));
        Assert.Equal(Images, await CountAsync(
            "SELECT count(*) FROM results.results WHERE tenant_id = (SELECT tenant_id FROM jobs.jobs WHERE id = @jobId)", jobId));
        Assert.Equal(Images, await CountAsync("SELECT succeeded FROM jobs.jobs WHERE id = @jobId", jobId));
    }

    private async Task<long> CountAsync(string sql, Guid jobId)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("jobId", jobId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<Dictionary<string, long>> ProcessedByAsync(Guid jobId)
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

        return counts;
    }
}
