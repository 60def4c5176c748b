using System.Net;
using System.Net.Http.Json;
using Detector.Modules.Compliance;
using Detector.Modules.Compliance.ApplyRetention;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using static Detector.Tests.Integration.Jobs.JobsTestKit;

namespace Detector.Tests.Integration.Compliance;

/// <summary>Retention on a moved clock: exactly what is past each tenant's retention goes; runs are scheduled by the service's own timer, one at a time.</summary>
[Collection("Jobs")]
public sealed class RetentionTests(ComplianceFactory factory) : IClassFixture<ComplianceFactory>
{
    [Fact]
    public async Task Retention_deletes_exactly_the_jobs_results_and_images_past_each_tenants_retention_on_a_moved_clock()
    {
        using var admin = factory.Admin();
        using var weekly = await TenantUsage.CreateAsync(factory, admin, "retention-7-days", firstImage: -1);
        using (var plan = await admin.PutAsJsonAsync($"/v1/admin/tenants/{weekly.TenantId}/plan", new { retention_days = 7 }))
        {
            plan.EnsureSuccessStatusCode();
        }

        using var monthly = await TenantUsage.CreateAsync(factory, admin, "retention-default", firstImage: -1); // 30 days

        // Day 0: two detections and a job for the weekly tenant, one detection for the other.
        var old1 = await TenantUsage.DetectAsync(weekly.Client, CocoFiles[1]);
        var old2 = await TenantUsage.DetectAsync(weekly.Client, CocoFiles[2]);
        var accepted = await SubmitAsync(weekly.Client, Images([("old.jpg", await File.ReadAllBytesAsync(CocoFiles[3]))]));
        await WaitForTerminalAsync(weekly.Client, accepted.GetProperty("status_url").GetString()!, TimeSpan.FromMinutes(2));
        var jobResult = (await GetJsonAsync(weekly.Client, accepted.GetProperty("results_url").GetString()!)).GetProperty("items")[0].GetProperty("result").GetProperty("id").GetString();
        var otherOld = await TenantUsage.DetectAsync(monthly.Client, CocoFiles[4]);

        // Day 5: a new photo, and the first day-0 photo detected again (its image is held anew).
        factory.Clock.Offset = TimeSpan.FromDays(5);
        var fresh = await TenantUsage.DetectAsync(weekly.Client, CocoFiles[5]);
        var again = await TenantUsage.DetectAsync(weekly.Client, CocoFiles[1]);

        // Day 8: day 0 is past 7 days; day 5 is not; the other tenant keeps 30 days.
        factory.Clock.Offset = TimeSpan.FromDays(8);
        var imagesBefore = await factory.QueryAsync<string>("SELECT sha256 FROM images.blobs WHERE tenant_id = @t ORDER BY 1", ("t", weekly.TenantId));
        Assert.Equal(4, imagesBefore.Count);
        var summary = await factory.Services.GetRequiredService<RetentionJob>().RunAsync(CancellationToken.None);

        Assert.Equal(1, summary.Jobs);
        Assert.Equal(3, summary.Results); // two sync results and the job's
        Assert.Equal(2, summary.Images); // the day-0 photos nothing holds any more
        foreach (var (id, expected) in new[] { (old1.ToString(), HttpStatusCode.NotFound), (old2.ToString(), HttpStatusCode.NotFound), (jobResult, HttpStatusCode.NotFound), (fresh.ToString(), HttpStatusCode.OK), (again.ToString(), HttpStatusCode.OK) })
        {
            using var response = await weekly.Client.GetAsync($"/v1/results/{id}");
            Assert.Equal(expected, response.StatusCode);
        }

        using (var job = await weekly.Client.GetAsync(accepted.GetProperty("status_url").GetString()))
        {
            Assert.Equal(HttpStatusCode.NotFound, job.StatusCode);
        }

        using (var other = await monthly.Client.GetAsync($"/v1/results/{otherOld}"))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        var imagesAfter = await factory.QueryAsync<string>("SELECT sha256 FROM images.blobs WHERE tenant_id = @t ORDER BY 1", ("t", weekly.TenantId));
        var resultImages = await factory.QueryAsync<string>("SELECT DISTINCT image_sha256 FROM results.results WHERE tenant_id = @t ORDER BY 1", ("t", weekly.TenantId));
        Assert.Equal(resultImages.Select(s => s.Trim()), imagesAfter); // exactly the images the remaining results hold
        Assert.Equal(2, imagesAfter.Count);
        Assert.Equal(1L, await factory.CountAsync("SELECT count(*) FROM images.blobs WHERE tenant_id = (SELECT tenant_id FROM results.results WHERE id = @jobId)", Guid.Parse(otherOld.ToString())));

        // A second run finds nothing more; retention is scheduled by the service's own timer (ADR 0015), not as a recurring Hangfire job.
        var second = await factory.Services.GetRequiredService<RetentionJob>().RunAsync(CancellationToken.None);
        Assert.Equal(0, second.Jobs + second.Results + second.Images);
        Assert.Single(factory.Services.GetServices<IHostedService>().OfType<RetentionSchedule>());
        Assert.Equal(0L, await factory.CountAsync("SELECT count(*) FROM hangfire.hash WHERE key = 'recurring-job:compliance-retention' AND @jobId IS NOT NULL", Guid.Empty));
    }

    [Fact]
    public async Task A_scheduled_retention_run_is_skipped_while_another_instance_holds_the_run_and_runs_once_it_is_released()
    {
        var schedule = factory.Services.GetRequiredService<RetentionSchedule>();
        var skipped = ComplianceMetrics.RetentionRuns.WithLabels("skipped").Value;
        var succeeded = ComplianceMetrics.RetentionRuns.WithLabels("succeeded").Value;

        // Another instance's run: its session holds the advisory lock (unpooled, so closing it ends the session like a process exiting).
        int otherPid;
        await using (var other = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(factory.ConnectionString) { Pooling = false }.ConnectionString))
        {
            await other.OpenAsync();
            otherPid = other.ProcessID;
            await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", other))
            {
                take.Parameters.AddWithValue("key", RetentionSchedule.AdvisoryLockKey);
                await take.ExecuteNonQueryAsync();
            }

            Assert.Null(await schedule.RunOnceAsync(CancellationToken.None));
            Assert.Equal(skipped + 1, ComplianceMetrics.RetentionRuns.WithLabels("skipped").Value);
        }

        // That instance is gone (its connection closed): the next occurrence runs, and says so. The
        // server releases a closed session's locks as its backend exits, a moment after the close.
        await WaitForLocksReleasedAsync(otherPid);
        var before = ComplianceMetrics.RetentionLastSuccess.Value;
        Assert.NotNull(await schedule.RunOnceAsync(CancellationToken.None));
        Assert.Equal(succeeded + 1, ComplianceMetrics.RetentionRuns.WithLabels("succeeded").Value);
        Assert.True(ComplianceMetrics.RetentionLastSuccess.Value >= before && ComplianceMetrics.RetentionLastSuccess.Value > 0);
    }

    private async Task WaitForLocksReleasedAsync(int pid)
    {
        await using var probe = new NpgsqlConnection(factory.ConnectionString);
        await probe.OpenAsync();
        await using var held = new NpgsqlCommand("SELECT count(*) FROM pg_locks WHERE pid = @pid AND locktype = 'advisory'", probe);
        held.Parameters.AddWithValue("pid", pid);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((long)(await held.ExecuteScalarAsync())! > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the closed session still held its advisory lock after 10 s");
            await Task.Delay(20);
        }
    }
}
