using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Detector.Modules.Common;
using Detector.Tests.Integration.Jobs;
using Xunit.Abstractions;
using static Detector.Tests.Integration.Models.RegistryKit;

namespace Detector.Tests.Integration.Models;

/// <summary>
/// Artifacts in PostgreSQL: uploaded through one instance, registered as <c>db:&lt;sha256&gt;</c>,
/// served by another instance that shares no folder with it (it copies the bytes into its own
/// cache); a cached copy changed on disk is fetched again before the next load, never served.
/// </summary>
[Collection("Jobs")]
public sealed class DatabaseArtifactTests(ITestOutputHelper output) : RegistryProcessTests(output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_artifact_uploaded_through_one_instance_is_served_by_another_with_no_shared_folder_and_a_changed_cached_copy_is_fetched_again()
    {
        var a = await Harness.StartAsync("host-a", extra: Own("a"));
        var b = await Harness.StartAsync("host-b", extra: Own("b"));
        using var admin = Admin(a.BaseUri);
        using var onA = await CrashHarness.TenantClientAsync(a.BaseUri);
        using var onB = new HttpClient { BaseAddress = b.BaseUri, Timeout = onA.Timeout };
        onB.DefaultRequestHeaders.Add("X-Api-Key", onA.DefaultRequestHeaders.GetValues("X-Api-Key"));
        var bytes = await File.ReadAllBytesAsync(Path.Combine(TestPaths.Models, Model + ".onnx"));
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));

        using (var empty = await admin.PutAsync("/v1/admin/models/artifacts", new ByteArrayContent([])))
        {
            await ProblemAssert.IsProblemAsync(empty, HttpStatusCode.BadRequest, ErrorCodes.EmptyBody);
        }

        using (var uploaded = await admin.PutAsync("/v1/admin/models/artifacts", new ByteArrayContent(bytes)))
        {
            Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
            var view = JsonDocument.Parse(await uploaded.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(("db:" + sha256, bytes.Length), (view.GetProperty("artifact").GetString(), view.GetProperty("size_bytes").GetInt32()));
        }

        using (var unknown = await RegisterAsync(admin, "db:" + new string('a', 64), "nowhere"))
        {
            await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.UnprocessableEntity, ErrorCodes.ArtifactNotFound);
        }

        using (var registered = await RegisterAsync(admin, "db:" + sha256, "v-db"))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        var photos = DistinctPhotos.Make([File.ReadAllBytes(JobsTestKit.CocoFiles[2])], 4);
        await EventuallyAsync(async () => (await RegistryKit.DetectAsync(onB, photos[0], Model + "@v-db")).Version == "v-db", Bound, "host-b serves the uploaded version");
        var cached = Path.Combine(Artifacts, "b-cache", sha256 + ".onnx");
        Assert.Equal(bytes, await File.ReadAllBytesAsync(cached));

        // host-b's copy changes on its disk; restarted, it fetches the bytes again before loading.
        b.KillHard();
        var changed = (byte[])bytes.Clone();
        changed[changed.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(cached, changed);
        var again = await Harness.StartAsync("host-b2", extra: Own("b"));
        using var onB2 = new HttpClient { BaseAddress = again.BaseUri, Timeout = onA.Timeout };
        onB2.DefaultRequestHeaders.Add("X-Api-Key", onA.DefaultRequestHeaders.GetValues("X-Api-Key"));
        await EventuallyAsync(async () => (await RegistryKit.DetectAsync(onB2, photos[1], Model + "@v-db")).Version == "v-db", Bound, "the restarted host-b serves the version again");
        Assert.Equal(bytes, await File.ReadAllBytesAsync(cached));
        Assert.Equal("active", (await VersionAsync(onB2, "v-db"))!.Value.GetProperty("state").GetString());
    }

    /// <summary>Each instance its own artifact folder and cache: nothing shared but PostgreSQL.</summary>
    private Dictionary<string, string> Own(string instance)
    {
        var settings = Settings(Path.Combine(Artifacts, instance + "-store"));
        settings["Models__ArtifactCacheDirectory"] = Path.Combine(Artifacts, instance + "-cache");
        return settings;
    }
}
