using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Detector.Modules.Common;
using Detector.Tests.Integration.Jobs;
using Npgsql;
using Xunit.Abstractions;
using static Detector.Tests.Integration.Models.RegistryKit;

namespace Detector.Tests.Integration.Models;

/// <summary>
/// The registry against a real service process and PostgreSQL: a corrupted artifact is refused at
/// load and never served while serving goes on; versions and aliases pin; archived versions are
/// unloaded and refused; the history is append-only and the audit log names each move.
/// </summary>
[Collection("Jobs")]
public sealed class RegistrySafetyTests(ITestOutputHelper output) : RegistryProcessTests(output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_artifact_with_one_changed_byte_is_refused_at_load_reported_and_never_served_while_serving_goes_on()
    {
        var path = CopySeedArtifact(Artifacts, "corrupt.onnx");
        var good = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
        var a = await Harness.StartAsync("host-a", extra: Settings(Artifacts));
        using var admin = Admin(a.BaseUri);

        // A caller that states the sha256 it expects is refused when the artifact differs.
        using (var wrong = await RegisterAsync(admin, "store:corrupt.onnx", "wrong", sha256: new string('0', 64)))
        {
            await ProblemAssert.IsProblemAsync(wrong, HttpStatusCode.UnprocessableEntity, ErrorCodes.ArtifactMismatch);
        }

        using (var registered = await RegisterAsync(admin, "store:corrupt.onnx", "corrupt", sha256: good))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        using (var moved = await MoveAsync(admin, "canary", "corrupt", "corrupt artifact test"))
        {
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        }

        // host-a loaded the good bytes. One byte of the artifact changes (a bad disk, a tampered
        // volume), and host-b, starting now, must refuse what it reads.
        using var onA = await CrashHarness.TenantClientAsync(a.BaseUri);
        var photos = DistinctPhotos.Make([File.ReadAllBytes(JobsTestKit.CocoFiles[0])], 6);
        await EventuallyAsync(async () => (await RegistryKit.DetectAsync(onA, photos[0], "yolox_nano_416@canary")).Version == "corrupt", Bound, "host-a serves the canary before the change");
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        var b = await Harness.StartAsync("host-b", extra: Settings(Artifacts));
        using var onB = new HttpClient { BaseAddress = b.BaseUri, Timeout = onA.Timeout };
        onB.DefaultRequestHeaders.Add("X-Api-Key", onA.DefaultRequestHeaders.GetValues("X-Api-Key"));

        await EventuallyAsync(async () => (await VersionAsync(onB, "corrupt"))?.GetProperty("state").GetString() == "refused", Bound, "the version is marked refused in the registry");
        var refused = (await VersionAsync(onA, "corrupt"))!.Value;
        Assert.Contains("sha256", refused.GetProperty("state_reason").GetString(), StringComparison.Ordinal);
        var metrics = await onB.GetStringAsync("/metrics");
        Assert.Contains("detector_model_load_failures_total{model=\"yolox_nano_416\",version=\"corrupt\",reason=\"artifact_mismatch\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("detector_model_versions_refused_total{model=\"yolox_nano_416\",version=\"corrupt\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains(b.LogTail(200_000).Split('\n'), l => l.Contains("refused", StringComparison.Ordinal) && l.Contains("corrupt", StringComparison.Ordinal) && l.Contains("sha256", StringComparison.Ordinal));

        // Never served again, on either instance, pinned by version or alias; both serve production.
        var i = 1;
        foreach (var client in new[] { onA, onB })
        {
            var (status, version, _) = await RegistryKit.DetectAsync(client, photos[i++]);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.NotEqual("corrupt", version);
            await EventuallyAsync(async () => (await RegistryKit.DetectAsync(client, photos[i], "yolox_nano_416@corrupt")).Status == HttpStatusCode.BadRequest, Bound, "the refused version is refused when pinned");
            var (pinnedStatus, _, body) = await RegistryKit.DetectAsync(client, photos[i++], "yolox_nano_416@canary");
            Assert.Equal(HttpStatusCode.BadRequest, pinnedStatus);
            Assert.Contains(ErrorCodes.UnknownModel, body, StringComparison.Ordinal);
        }

        // A refused version takes no alias.
        using (var again = await MoveAsync(admin, "shadow", "corrupt", "must be refused"))
        {
            await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict, ErrorCodes.VersionNotActive);
        }
    }

    [Fact]
    public async Task Versions_and_aliases_pin_archived_versions_unload_and_are_refused_and_every_move_is_kept_and_audited()
    {
        CopySeedArtifact(Artifacts, "v3.onnx");
        var service = await Harness.StartAsync("host-a", extra: Settings(Artifacts));
        using var tenant = await CrashHarness.TenantClientAsync(service.BaseUri);
        using var admin = Admin(service.BaseUri);
        var photos = DistinctPhotos.Make([File.ReadAllBytes(JobsTestKit.CocoFiles[1])], 10);
        var seed = JsonDocument.Parse(await tenant.GetStringAsync("/v1/models")).RootElement.GetProperty("models")[0].GetProperty("version").GetString()!;

        using (var registered = await RegisterAsync(admin, "store:v3.onnx", "v3"))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        using (var clash = await RegisterAsync(admin, "store:v3.onnx", "v3"))
        {
            await ProblemAssert.IsProblemAsync(clash, HttpStatusCode.Conflict, ErrorCodes.VersionExists);
        }

        using (var moved = await MoveAsync(admin, "next", "v3", "pinning test"))
        {
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        }

        // Loaded in the background: a pin answers model_not_ready or v3, never another version.
        await EventuallyAsync(async () => (await RegistryKit.DetectAsync(tenant, photos[0], "yolox_nano_416@next")).Version == "v3", Bound, "name@alias is served by v3");
        Assert.Equal("v3", (await RegistryKit.DetectAsync(tenant, photos[1], "yolox_nano_416@v3")).Version);
        Assert.Equal(seed, (await RegistryKit.DetectAsync(tenant, photos[2], "yolox_nano_416@production")).Version);
        Assert.Equal(seed, (await RegistryKit.DetectAsync(tenant, photos[3])).Version);
        Assert.Contains("detector_model_versions_loaded 2", await tenant.GetStringAsync("/metrics"), StringComparison.Ordinal);

        // A plan may name the default: the tenant's requests that name no model get the alias.
        var tenantId = JsonDocument.Parse(await admin.GetStringAsync("/v1/admin/tenants")).RootElement.GetProperty("tenants")[0].GetProperty("id").GetGuid();
        using (var plan = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/plan", new { default_model = "yolox_nano_416@next" }))
        {
            Assert.Equal(HttpStatusCode.OK, plan.StatusCode);
        }

        await EventuallyAsync(async () => (await RegistryKit.DetectAsync(tenant, photos[5])).Version == "v3", Bound, "the plan's default alias serves");
        using (var bad = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/plan", new { default_model = "no spaces allowed" }))
        {
            await ProblemAssert.IsProblemAsync(bad, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        }

        using (var cleared = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/plan", new { default_model = "" }))
        {
            Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        }

        await EventuallyAsync(async () => (await RegistryKit.DetectAsync(tenant, photos[6])).Version == seed, Bound, "the service's default serves again");

        using (var aliased = await admin.PostAsync($"/v1/admin/models/{Model}/versions/v3/archive", null))
        {
            await ProblemAssert.IsProblemAsync(aliased, HttpStatusCode.Conflict, ErrorCodes.VersionAliased);
        }

        using (var production = await admin.DeleteAsync($"/v1/admin/models/{Model}/aliases/production"))
        {
            await ProblemAssert.IsProblemAsync(production, HttpStatusCode.Conflict, ErrorCodes.AliasProtected);
        }

        using (var removed = await admin.DeleteAsync($"/v1/admin/models/{Model}/aliases/next?reason=done"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        using (var archived = await admin.PostAsync($"/v1/admin/models/{Model}/versions/v3/archive", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, archived.StatusCode);
        }

        await EventuallyAsync(async () => (await RegistryKit.DetectAsync(tenant, photos[4], "yolox_nano_416@v3")).Status == HttpStatusCode.BadRequest, Bound, "an archived version is refused");
        await EventuallyAsync(async () => (await tenant.GetStringAsync("/metrics")).Contains("detector_model_versions_loaded 1", StringComparison.Ordinal), Bound, "the archived version's sessions are disposed");

        // The history: seeded, moved, removed; append-only in the database; each move audited.
        var moves = JsonDocument.Parse(await admin.GetStringAsync($"/v1/admin/models/{Model}/history")).RootElement.GetProperty("moves").EnumerateArray()
            .Select(m => (m.GetProperty("alias").GetString(), m.GetProperty("from_version").GetString(), m.GetProperty("to_version").GetString(), m.GetProperty("actor").GetString())).ToList();
        Assert.Equal([("production", null, seed, "seed"), ("next", null, "v3", "admin"), ("next", "v3", null, "admin")], moves);
        await using (var connection = new NpgsqlConnection(Harness.ConnectionString))
        {
            await connection.OpenAsync();
            await using var update = new NpgsqlCommand("UPDATE models.alias_history SET reason = 'rewritten'", connection);
            var refusal = await Assert.ThrowsAsync<PostgresException>(() => update.ExecuteNonQueryAsync());
            Assert.Contains("append-only", refusal.MessageText, StringComparison.Ordinal);
        }

        var audit = await admin.GetStringAsync("/v1/admin/audit?action=model.alias.move");
        Assert.Contains("yolox_nano_416@next", audit, StringComparison.Ordinal);
        Assert.Contains("from=- to=v3", audit, StringComparison.Ordinal);
    }
}
