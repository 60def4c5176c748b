using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Tests.Unit.Images;
using Detector.Tests.Unit.Preprocessing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static Detector.Tests.Integration.Jobs.JobsTestKit;

namespace Detector.Tests.Integration.Jobs;

/// <summary>
/// A phone photo (camera EXIF, GPS, XMP, IPTC, a comment, a motion-photo trailer, orientation 6)
/// through the sync and the async API: what is stored is sealed and, opened, carries none of it, and the boxes are those
/// of the same photo with only its orientation.
/// </summary>
[Collection("Jobs")]
public sealed class PhotoPrivacyTests(JobsApiFactory factory) : IClassFixture<JobsApiFactory>
{
    [Fact]
    public async Task A_phone_photo_is_stored_without_its_metadata_and_detected_exactly_as_its_pixels_and_orientation_say()
    {
        using var client = await factory.NewTenantAsync("privacy");
        var original = await File.ReadAllBytesAsync(CocoFiles[0]);
        var phone = PhotosWithMetadata.Jpeg(original, orientation: 6);

        var expected = Boxes(await DetectAsync(client, TestImages.WithExifOrientation(original, 6)));
        var unrotated = Boxes(await DetectAsync(client, original));
        Assert.NotEqual(unrotated, expected); // the orientation matters for this photo, so keeping it is tested

        Assert.Equal(expected, Boxes(await DetectAsync(client, phone)));

        var accepted = await SubmitAsync(client, Images([("phone.jpg", phone)]));
        var job = await WaitForTerminalAsync(client, accepted.GetProperty("status_url").GetString()!, TimeSpan.FromMinutes(2));
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        var item = (await GetJsonAsync(client, accepted.GetProperty("results_url").GetString()!)).GetProperty("items")[0];
        Assert.Equal(expected, Boxes(item.GetProperty("result")));

        // Every image stored (the sync uploads and the job's) is sealed on disk, and opened carries none of the metadata.
        var images = factory.Services.GetRequiredService<Detector.Modules.Images.Contracts.IImageStore>();
        var rows = new List<(Guid Tenant, string Sha256, byte[] Content)>();
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT tenant_id, sha256, content FROM images.blobs", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetGuid(0), reader.GetString(1), (byte[])reader[2]));
            }
        }

        var stored = 0;
        foreach (var (tenant, sha, content) in rows)
        {
            Assert.Equal("DTI1"u8.ToArray(), content[..4]); // not a JPEG: sealed
            var opened = (await images.GetAsync(tenant, sha, CancellationToken.None))!;
            Assert.Equal([0xFF, 0xD8], opened[..2]);
            Assert.All(PhotosWithMetadata.Secrets, s => Assert.False(PhotosWithMetadata.Contains(opened, s), s));
            stored++;
        }

        Assert.True(stored >= 2, $"{stored} images stored");
    }

    [Fact]
    public async Task A_job_upload_refused_at_a_later_part_keeps_no_image_and_no_job_but_never_deletes_one_another_job_holds()
    {
        using var client = await factory.NewTenantAsync("refused-upload");
        var kept = await File.ReadAllBytesAsync(CocoFiles[7]);
        var accepted = await SubmitAsync(client, Images([("kept.jpg", kept)]));
        await WaitForTerminalAsync(client, accepted.GetProperty("status_url").GetString()!, TimeSpan.FromMinutes(2));
        Guid tenant;
        string keptSha;
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT j.tenant_id, i.image_sha256 FROM jobs.jobs j JOIN jobs.items i ON i.job_id = j.id WHERE j.id = @id", connection);
            command.Parameters.AddWithValue("id", Guid.Parse(accepted.GetProperty("id").GetString()!));
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            (tenant, keptSha) = (reader.GetGuid(0), reader.GetString(1));
        }


        // Two photos, one of them the earlier job's, then a part over the 20 MB image limit.
        var oversized = new byte[21 * 1024 * 1024];
        new Random(21).NextBytes(oversized);
        using var refused = await client.PostAsync("/v1/jobs", Images([("kept.jpg", kept), ("new.jpg", await File.ReadAllBytesAsync(CocoFiles[8])), ("huge.jpg", oversized)]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.Equal(1L, await factory.CountAsync("SELECT count(*) FROM jobs.jobs WHERE tenant_id = @jobId", tenant));
        Assert.Equal(1L, await factory.CountAsync("SELECT count(*) FROM images.blobs WHERE tenant_id = @jobId", tenant)); // the earlier job's photo only
        var images = factory.Services.GetRequiredService<Detector.Modules.Images.Contracts.IImageStore>();
        Assert.NotNull(await images.GetAsync(tenant, keptSha, CancellationToken.None));
    }

    [Fact]
    public async Task A_plan_that_keeps_no_images_stores_none_for_sync_requests_and_drops_a_jobs_upload_once_its_item_is_done()
    {
        using var admin = factory.Admin();
        using var created = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name = "keeps-no-images" });
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var tenant = body.GetProperty("id").GetGuid();
        using (var plan = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenant}/plan", new { store_images = false }))
        {
            plan.EnsureSuccessStatusCode();
        }

        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", body.GetProperty("api_key").GetString());
        var photo = await File.ReadAllBytesAsync(CocoFiles[9]);
        var result = await DetectAsync(client, photo);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(photo)), result.GetProperty("image").GetProperty("sha256").GetString());
        Assert.Equal(0L, await factory.CountAsync("SELECT count(*) FROM images.blobs WHERE tenant_id = @jobId", tenant));

        // A job's upload lives until its item is done, then goes; the result stays.
        var (_, jobId) = await factory.CreateUndispatchedJobAsync(1, tenant);
        Assert.Equal(1L, await factory.CountAsync("SELECT count(*) FROM images.blobs WHERE tenant_id = (SELECT tenant_id FROM jobs.jobs WHERE id = @jobId)", jobId));
        await factory.Services.GetRequiredService<Detector.Modules.Jobs.Processing.JobDispatcher>().EnqueueAllAsync(tenant, jobId, 1, "default", CancellationToken.None);
        Assert.Equal("succeeded", await factory.WaitForJobAsync(jobId, TimeSpan.FromMinutes(2)));
        // The upload goes right after the item is marked done.
        var blobs = "SELECT count(*) FROM images.blobs WHERE tenant_id = (SELECT tenant_id FROM jobs.jobs WHERE id = @jobId)";
        for (var i = 0; i < 50 && await factory.CountAsync(blobs, jobId) > 0; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(0L, await factory.CountAsync(blobs, jobId));
        Assert.Equal(2L, await factory.CountAsync("SELECT count(*) FROM results.results WHERE tenant_id = (SELECT tenant_id FROM jobs.jobs WHERE id = @jobId)", jobId));
    }

    private static string Boxes(JsonElement result) =>
        string.Join(";", result.GetProperty("detections").EnumerateArray().Select(d => $"{d.GetProperty("label").GetString()}:{d.GetProperty("box")}"));
}
