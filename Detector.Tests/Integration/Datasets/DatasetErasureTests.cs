using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Modules.Common;
using Detector.Modules.Datasets.Contracts;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Images.Storage;
using Detector.Tests.Integration.Compliance;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Integration.Datasets;

/// <summary>
/// Erase wins over immutability: a tenant erase or an image delete leaves every version holding
/// the images (by its tenant, or by retention) with its id, incomplete, and nothing of the tenant in any table or work folder; the
/// orphan sweep never takes an image a version holds.
/// </summary>
[Collection("Jobs")]
public sealed class DatasetErasureTests(DatasetsFactory factory) : IClassFixture<DatasetsFactory>
{
    [Fact]
    public async Task Erasing_a_tenant_leaves_its_versions_with_their_ids_incomplete_and_no_trace_of_it_in_any_table()
    {
        using var admin = factory.Admin();
        using var tenant = await TenantUsage.CreateAsync(factory, admin, "datasets-erase", firstImage: -1);
        var (_, version) = await DatasetsFactory.ImportAsync(admin, "erase", tenant.TenantId, set: 0);
        var id = version.GetProperty("id").GetString()!;
        var materialized = await factory.Services.GetRequiredService<IDatasetVersions>().MaterializeAsync(id, "train", CancellationToken.None);
        Assert.True(Directory.Exists(materialized.ImagesDirectory));

        var images = await factory.QueryAsync<string>("SELECT image_sha256::text FROM datasets.entries WHERE version_id = @id", ("id", id));
        Assert.Equal(DatasetsFactory.ImageCount, images.Count);
        var needles = new List<string> { tenant.TenantId.ToString(), tenant.TenantId.ToString("N") };
        needles.AddRange(images);
        var before = await factory.ScanAllTablesAsync(needles);
        Assert.Contains(before, h => h.StartsWith("datasets.entries:", StringComparison.Ordinal)); // the scan can fail
        Assert.Contains(before, h => h.StartsWith("images.blobs:", StringComparison.Ordinal));

        using var response = await admin.PostAsync($"/v1/admin/tenants/{tenant.TenantId}/erase", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var removed = JsonDocument.Parse(text).RootElement.GetProperty("removed");
        Assert.Equal(DatasetsFactory.ImageCount, removed.GetProperty("datasets.entries_erased").GetInt64());

        var after = await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/datasets/versions/{id}");
        Assert.Equal(id, after.GetProperty("id").GetString());
        Assert.False(after.GetProperty("complete").GetBoolean());
        Assert.Equal(DatasetsFactory.ImageCount, after.GetProperty("erased").GetInt32());
        Assert.Equal(DatasetsFactory.ImageCount, after.GetProperty("images").GetInt32());
        Assert.Equal(["tenant_erased"], after.GetProperty("erased_reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(version.GetProperty("export_sha256").GetString(), after.GetProperty("export_sha256").GetString());
        using (var manifest = await admin.GetAsync($"/v1/admin/datasets/versions/{id}/manifest"))
        {
            await ProblemAssert.IsProblemAsync(manifest, HttpStatusCode.Conflict, ErrorCodes.DatasetVersionIncomplete);
        }

        var traces = await factory.ScanAllTablesAsync(needles);
        Assert.True(traces.Count == 0, "Traces of the erased tenant:" + Environment.NewLine + string.Join(Environment.NewLine, traces));
        Assert.False(Directory.Exists(Path.Combine(factory.WorkDirectory, id))); // its materialized images went too

        var (code, output) = await WebCommand.RunAsync(
            ["datasets", "export", "--version", id, "--out", Path.Combine(factory.ImportRoot, "erased-out")], factory.CommandEnvironment(), TimeSpan.FromMinutes(2));
        Assert.Equal(3, code);
        Assert.Contains("incomplete", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_one_image_erases_its_entry_only_and_the_version_exports_the_rest_when_allowed()
    {
        using var admin = factory.Admin();
        using var tenant = await TenantUsage.CreateAsync(factory, admin, "datasets-delete", firstImage: -1);
        var (_, version) = await DatasetsFactory.ImportAsync(admin, "delete", tenant.TenantId, set: 1);
        var id = version.GetProperty("id").GetString()!;
        var images = await factory.QueryAsync<string>("SELECT image_sha256::text FROM datasets.entries WHERE version_id = @id ORDER BY ordinal", ("id", id));
        var gone = images[2];

        using (var deleted = await tenant.Client.DeleteAsync($"/v1/images/{gone}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        var after = await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/datasets/versions/{id}");
        Assert.Equal(id, after.GetProperty("id").GetString());
        Assert.False(after.GetProperty("complete").GetBoolean());
        Assert.Equal(1, after.GetProperty("erased").GetInt32());
        Assert.Equal(["image_deleted"], after.GetProperty("erased_reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Empty(await factory.QueryAsync<int>("SELECT ordinal FROM datasets.entries WHERE image_sha256 = @s", ("s", gone)));
        Assert.Equal([2], await factory.QueryAsync<int>("SELECT ordinal FROM datasets.entries WHERE version_id = @id AND erased_at IS NOT NULL AND tenant_id IS NULL AND annotations IS NULL", ("id", id)));

        var folder = Path.Combine(factory.ImportRoot, "partial-out");
        var (code, output) = await WebCommand.RunAsync(["datasets", "export", "--version", id, "--out", folder, "--allow-incomplete"], factory.CommandEnvironment(), TimeSpan.FromMinutes(2));
        Assert.True(code == 0, output);
        var files = DatasetVersionTests.ExportedFiles(folder);
        Assert.Equal(DatasetsFactory.ImageCount - 1, files.Keys.Count(k => k.StartsWith("images/", StringComparison.Ordinal)));
        Assert.DoesNotContain(files.Keys, k => k.Contains(gone, StringComparison.Ordinal));
        var handoff = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "handoff.json"))).RootElement;
        Assert.False(handoff.GetProperty("complete").GetBoolean());
        Assert.NotEqual(id, handoff.GetProperty("manifest_sha256").GetString()); // what is left is other content
    }

    [Fact]
    public async Task An_image_retention_deletes_with_its_result_is_erased_from_the_version_that_holds_it()
    {
        using var admin = factory.Admin();
        using var tenant = await TenantUsage.CreateAsync(factory, admin, "datasets-retention", firstImage: -1);
        using (var plan = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenant.TenantId}/plan", new { retention_days = 7 }))
        {
            plan.EnsureSuccessStatusCode();
        }

        var (_, version) = await DatasetsFactory.ImportAsync(admin, "retention", tenant.TenantId, set: 3);
        var id = version.GetProperty("id").GetString()!;
        var photo = Directory.GetFiles(Path.Combine(factory.ImportRoot, DatasetsFactory.Images)).Order(StringComparer.Ordinal).Skip(3 * DatasetsFactory.ImageCount).First();
        var result = await TenantUsage.DetectAsync(tenant.Client, photo);
        var sha256 = (await factory.QueryAsync<string>("SELECT image_sha256::text FROM results.results WHERE id = @id", ("id", result))).Single();
        Assert.Single(await factory.QueryAsync<int>("SELECT ordinal FROM datasets.entries WHERE version_id = @id AND image_sha256 = @s", ("id", id), ("s", sha256)));

        factory.Clock.Offset += TimeSpan.FromDays(8);
        try
        {
            var summary = await factory.Services.GetRequiredService<Detector.Modules.Compliance.ApplyRetention.RetentionJob>().RunAsync(CancellationToken.None);
            Assert.Equal(1, summary.Images);
        }
        finally
        {
            factory.Clock.Offset -= TimeSpan.FromDays(8);
        }

        var after = await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/datasets/versions/{id}");
        Assert.Equal(id, after.GetProperty("id").GetString());
        Assert.Equal(1, after.GetProperty("erased").GetInt32());
        Assert.Equal(["image_deleted"], after.GetProperty("erased_reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Empty(await factory.QueryAsync<int>("SELECT ordinal FROM datasets.entries WHERE image_sha256 = @s", ("s", sha256)));
    }

    [Fact]
    public async Task The_orphan_sweep_removes_an_image_nothing_names_and_keeps_those_a_version_holds()
    {
        using var admin = factory.Admin();
        using var tenant = await TenantUsage.CreateAsync(factory, admin, "datasets-sweep", firstImage: -1);
        var (_, version) = await DatasetsFactory.ImportAsync(admin, "sweep", tenant.TenantId, set: 2);
        var held = await factory.QueryAsync<string>("SELECT image_sha256::text FROM datasets.entries WHERE version_id = @id", ("id", version.GetProperty("id").GetString()!));
        var store = factory.Services.GetRequiredService<IImageStore>();
        var loose = await store.PutAsync(tenant.TenantId, await File.ReadAllBytesAsync(Jobs.JobsTestKit.CocoFiles[^1]), CancellationToken.None);
        Assert.DoesNotContain(loose.Sha256, held);

        factory.Clock.Offset += TimeSpan.FromMinutes(61);
        try
        {
            Assert.True(await factory.Services.GetRequiredService<OrphanSweep>().SweepOnceAsync(CancellationToken.None) >= 1);
        }
        finally
        {
            factory.Clock.Offset -= TimeSpan.FromMinutes(61);
        }

        Assert.Null(await store.GetAsync(tenant.TenantId, loose.Sha256, CancellationToken.None));
        foreach (var sha256 in held)
        {
            Assert.NotNull(await store.GetAsync(tenant.TenantId, sha256, CancellationToken.None));
        }
    }

    [Fact]
    public async Task A_refused_job_upload_of_a_photo_a_version_holds_keeps_the_image_and_the_version_complete()
    {
        using var admin = factory.Admin();
        using var tenant = await TenantUsage.CreateAsync(factory, admin, "datasets-refused-job", firstImage: -1);
        var (_, version) = await DatasetsFactory.ImportAsync(admin, "refused-job", tenant.TenantId, set: 4);
        var id = version.GetProperty("id").GetString()!;
        var held = await factory.FirstEntrySha256Async(id);
        var store = factory.Services.GetRequiredService<IImageStore>();
        var photo = await store.GetAsync(tenant.TenantId, held, CancellationToken.None);
        Assert.NotNull(photo);

        // The version's photo is stored again (the tenant has it already), then a part over the image limit refuses the job.
        var oversized = new byte[21 * 1024 * 1024];
        new Random(4).NextBytes(oversized);
        using (var refused = await tenant.Client.PostAsync("/v1/jobs", Jobs.JobsTestKit.Images([("held.jpg", photo), ("huge.jpg", oversized)])))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        }

        Assert.Equal(0L, (await factory.QueryAsync<long>("SELECT count(*) FROM jobs.jobs WHERE tenant_id = @t", ("t", tenant.TenantId))).Single());
        Assert.NotNull(await store.GetAsync(tenant.TenantId, held, CancellationToken.None));
        var after = await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/datasets/versions/{id}");
        Assert.True(after.GetProperty("complete").GetBoolean());
        Assert.Equal(0, after.GetProperty("erased").GetInt32());
        Assert.Single(await factory.QueryAsync<int>("SELECT ordinal FROM datasets.entries WHERE version_id = @id AND image_sha256 = @s AND erased_at IS NULL", ("id", id), ("s", held)));
    }

    [Fact]
    public async Task A_finished_job_on_a_plan_that_keeps_no_images_leaves_a_versions_photo_and_its_result_says_not_stored()
    {
        using var admin = factory.Admin();
        using var tenant = await TenantUsage.CreateAsync(factory, admin, "datasets-no-keep-job", firstImage: -1);
        var (_, version) = await factory.ImportFirstAsync(admin, "no-keep-job", tenant.TenantId, set: 2, count: 2);
        var id = version.GetProperty("id").GetString()!;
        var held = await factory.FirstEntrySha256Async(id);
        var store = factory.Services.GetRequiredService<IImageStore>();
        var photo = await store.GetAsync(tenant.TenantId, held, CancellationToken.None);
        Assert.NotNull(photo);
        using (var plan = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenant.TenantId}/plan", new { store_images = false }))
        {
            plan.EnsureSuccessStatusCode();
        }

        // The plan keeps no images: the job's upload goes once its item is done, unless something else names it.
        var accepted = await Jobs.JobsTestKit.SubmitAsync(tenant.Client, Jobs.JobsTestKit.Images([("held.jpg", photo)]));
        var job = await Jobs.JobsTestKit.WaitForTerminalAsync(tenant.Client, accepted.GetProperty("status_url").GetString()!, TimeSpan.FromMinutes(2));
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        var storage = await factory.QueryAsync<string>("SELECT image_storage FROM results.results WHERE tenant_id = @t AND source = 'job'", ("t", tenant.TenantId));
        Assert.Equal(["not_stored"], storage);

        Assert.NotNull(await store.GetAsync(tenant.TenantId, held, CancellationToken.None));
        var after = await admin.GetFromJsonAsync<JsonElement>($"/v1/admin/datasets/versions/{id}");
        Assert.True(after.GetProperty("complete").GetBoolean());
        Assert.Equal(0, after.GetProperty("erased").GetInt32());
    }
}
