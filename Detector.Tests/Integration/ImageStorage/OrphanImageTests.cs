using System.Net;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Images.Storage;
using Detector.Modules.Results.Contracts;
using Detector.Tests.Integration.Compliance;
using Detector.Tests.Integration.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Detector.Tests.Integration.ImageStorage;

/// <summary>The whole service on a movable clock, with one more holder of images that a test can hold up mid-sweep.</summary>
public sealed class OrphanSweepFactory : ComplianceFactory
{
    public GatedReferences Gate { get; } = new();

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.AddSingleton<IImageReferences>(Gate);
    }
}

/// <summary>Names no image; armed for one, it stops the sweep that asks about it until released (a deterministic interleaving).</summary>
public sealed class GatedReferences : IImageReferences
{
    private string? _armed;

    public TaskCompletionSource Asked { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Release { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Arm(string sha256)
    {
        Asked = new(TaskCreationOptions.RunContinuationsAsynchronously);
        Release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _armed, sha256);
    }

    public async Task<IReadOnlySet<string>> HeldAsync(Guid tenantId, IReadOnlyCollection<string> sha256s, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _armed) is { } armed && sha256s.Contains(armed) && Interlocked.CompareExchange(ref _armed, null, armed) == armed)
        {
            Asked.TrySetResult();
            await Release.Task.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
        }

        return new HashSet<string>();
    }
}

/// <summary>
/// Images nothing names are removed by the orphan sweep after the grace period (ImageStore:OrphanGraceMinutes,
/// 60 by default), on real PostgreSQL; images a result or a job item names stay; and a put of the
/// same photo racing the sweep's delete never leaves a result without its image.
/// </summary>
[Collection("Jobs")]
public sealed class OrphanImageTests(OrphanSweepFactory factory) : IClassFixture<OrphanSweepFactory>
{
    private static readonly TimeSpan PastGrace = TimeSpan.FromMinutes(61);

    private OrphanSweep Sweep => factory.Services.GetRequiredService<OrphanSweep>();

    private IImageStore Images => factory.Services.GetRequiredService<IImageStore>();

    [Fact]
    public async Task A_deleted_results_image_is_removed_by_the_sweep_once_the_grace_period_has_passed_and_not_before()
    {
        using var admin = factory.Admin();
        using var tenant = await TenantUsage.CreateAsync(factory, admin, "orphan-deleted-result", firstImage: -1);
        var photo = await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[17]);
        var detected = await JobsTestKit.DetectAsync(tenant.Client, photo);
        var resultId = detected.GetProperty("id").GetString();
        var sha256 = detected.GetProperty("image").GetProperty("sha256").GetString()!; // of the upload stripped of its metadata
        using (var deleted = await tenant.Client.DeleteAsync($"/v1/results/{resultId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await Sweep.SweepOnceAsync(CancellationToken.None);
        Assert.NotNull(await Images.GetAsync(tenant.TenantId, sha256, CancellationToken.None)); // within the grace period

        factory.Clock.Offset += PastGrace;
        Assert.True(await Sweep.SweepOnceAsync(CancellationToken.None) >= 1);

        Assert.Null(await Images.GetAsync(tenant.TenantId, sha256, CancellationToken.None));
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM images.blobs WHERE tenant_id = @t AND sha256 = @s", tenant.TenantId, sha256));
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM images.stored WHERE tenant_id = @t AND sha256 = @s", tenant.TenantId, sha256));
    }

    [Fact]
    public async Task An_image_another_result_or_a_queued_job_item_names_is_kept_and_one_nothing_names_is_removed()
    {
        using var admin = factory.Admin();
        using var tenant = await TenantUsage.CreateAsync(factory, admin, "orphan-held", firstImage: -1);
        var twice = await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[12]);
        var first = await JobsTestKit.DetectAsync(tenant.Client, twice);
        var twiceSha256 = first.GetProperty("image").GetProperty("sha256").GetString()!;
        Assert.Equal(twiceSha256, (await JobsTestKit.DetectAsync(tenant.Client, twice)).GetProperty("image").GetProperty("sha256").GetString());
        using (var deleted = await tenant.Client.DeleteAsync($"/v1/results/{first.GetProperty("id").GetString()}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        var (_, jobId) = await factory.CreateUndispatchedJobAsync(2, tenant.TenantId); // queued items, never run
        var jobImages = await factory.QueryAsync<string>("SELECT image_sha256 FROM jobs.items WHERE job_id = @j", ("j", jobId));
        Assert.Equal(2, jobImages.Count);
        var orphan = await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[13]);
        var stored = await Images.PutAsync(tenant.TenantId, orphan, CancellationToken.None); // a put nothing came to name

        factory.Clock.Offset += PastGrace;
        Assert.True(await Sweep.SweepOnceAsync(CancellationToken.None) >= 1);

        Assert.NotNull(await Images.GetAsync(tenant.TenantId, twiceSha256, CancellationToken.None));
        foreach (var sha256 in jobImages)
        {
            Assert.NotNull(await Images.GetAsync(tenant.TenantId, sha256.Trim(), CancellationToken.None));
        }

        Assert.Null(await Images.GetAsync(tenant.TenantId, stored.Sha256, CancellationToken.None));
    }

    [Fact]
    public async Task A_put_of_the_same_photo_while_the_sweep_deletes_it_never_leaves_a_result_without_its_image()
    {
        using var admin = factory.Admin();
        using var tenant = await TenantUsage.CreateAsync(factory, admin, "orphan-race", firstImage: -1);
        var photo = await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[16]);
        var sha256 = (await Images.PutAsync(tenant.TenantId, photo, CancellationToken.None)).Sha256;
        factory.Clock.Offset += PastGrace;

        // The sweep has found the photo old and named by nothing so far, and stops while it asks
        // the last holder: the moment between its decision and its delete.
        factory.Gate.Arm(sha256);
        var sweep = Task.Run(() => Sweep.SweepOnceAsync(CancellationToken.None));
        await factory.Gate.Asked.Task.WaitAsync(TimeSpan.FromSeconds(60));

        // The same tenant uploads the same photo now, and saves the result that names it.
        var resultId = Guid.NewGuid();
        var upload = Task.Run(async () =>
        {
            var stored = await Images.PutAsync(tenant.TenantId, photo, CancellationToken.None);
            await factory.Services.GetRequiredService<IResultStore>().SaveAsync(tenant.TenantId, new ResultDocument(
                resultId, factory.Clock.GetUtcNow(), "sync", new ModelReference("m", "1"), new ImageReference(1, 1, stored.Sha256, "jpeg"), [], new ResultTimings(0, 0, 0, 0, 0, 1)), null, CancellationToken.None);
        });

        // Either the upload waits for the sweep (the image's lock), or it got through first.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!upload.IsCompleted && await CountAsync(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%images.stored%' AND @t IS NOT NULL AND @s IS NOT NULL",
            tenant.TenantId, sha256) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the upload neither finished nor waited on a lock within 30 s");
            await Task.Delay(20);
        }

        factory.Gate.Release.TrySetResult();
        await sweep.WaitAsync(TimeSpan.FromSeconds(60));
        await upload.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM results.results WHERE tenant_id = @t AND image_sha256 = @s", tenant.TenantId, sha256));
        var image = await Images.GetAsync(tenant.TenantId, sha256, CancellationToken.None);
        Assert.True(image is not null && image.AsSpan().SequenceEqual(photo), "the saved result names an image the sweep removed");
    }

    private async Task<long> CountAsync(string sql, Guid tenant, string sha256)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("t", tenant);
        command.Parameters.AddWithValue("s", sha256);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
