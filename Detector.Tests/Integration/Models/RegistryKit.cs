using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Tests.Integration.Jobs;
using Xunit.Abstractions;

namespace Detector.Tests.Integration.Models;

/// <summary>The registry's admin API and what a detect answer says of the version that served it, for the registry tests.</summary>
internal static class RegistryKit
{
    public const string Model = "yolox_nano_416";

    public static readonly string SeedManifest = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "Detector.Web", "model-manifests", "yolox_nano_416.json"));

    /// <summary>Settings for instances that serve only YOLOX-nano (quicker to load) and share one artifact folder.</summary>
    public static Dictionary<string, string> Settings(string artifactDir) => new()
    {
        ["Models__Enabled__0"] = Model,
        ["Models__ArtifactDirectory"] = artifactDir,
        ["Inference__UnloadGraceSeconds"] = "1",
    };

    public static HttpClient Admin(Uri baseUri)
    {
        var admin = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(60) };
        admin.DefaultRequestHeaders.Add("X-Api-Key", JobsApiFactory.AdminKey);
        return admin;
    }

    /// <summary>Copies the seed's ONNX file into the artifact folder under <paramref name="file"/>.</summary>
    public static string CopySeedArtifact(string artifactDir, string file)
    {
        Directory.CreateDirectory(artifactDir);
        var path = Path.Combine(artifactDir, file);
        File.Copy(Path.Combine(TestPaths.Models, Model + ".onnx"), path, overwrite: true);
        return path;
    }

    public static Task<HttpResponseMessage> RegisterAsync(HttpClient admin, string artifact, string version, string? sha256 = null) =>
        admin.PostAsJsonAsync($"/v1/admin/models/{Model}/versions", new
        {
            artifact,
            version,
            sha256,
            manifest = JsonDocument.Parse(SeedManifest).RootElement,
        });

    public static Task<HttpResponseMessage> MoveAsync(HttpClient admin, string alias, string version, string reason) =>
        admin.PutAsJsonAsync($"/v1/admin/models/{Model}/aliases/{alias}", new { version, reason });

    /// <summary>The registry's view of one version of the model (GET /v1/models), or null.</summary>
    public static async Task<JsonElement?> VersionAsync(HttpClient client, string version)
    {
        var models = JsonDocument.Parse(await client.GetStringAsync("/v1/models")).RootElement.GetProperty("models");
        foreach (var v in models.EnumerateArray().Single(m => m.GetProperty("name").GetString() == Model).GetProperty("versions").EnumerateArray())
        {
            if (v.GetProperty("version").GetString() == version)
            {
                return v.Clone();
            }
        }

        return null;
    }

    /// <summary>One detect: its status, and the version that served it (null unless 200).</summary>
    public static async Task<(HttpStatusCode Status, string? Version, string Body)> DetectAsync(HttpClient client, byte[] photo, string? model = null)
    {
        using var response = await client.PostAsync(model is null ? "/v1/detect" : $"/v1/detect?model={model}", DetectorApiFactory.ImageForm(photo));
        var body = await response.Content.ReadAsStringAsync();
        var version = response.StatusCode == HttpStatusCode.OK
            ? JsonDocument.Parse(body).RootElement.GetProperty("model").GetProperty("version").GetString()
            : null;
        return (response.StatusCode, version, body);
    }

    /// <summary>Polls until <paramref name="condition"/> holds, failing with <paramref name="what"/> after <paramref name="within"/>.</summary>
    public static async Task<TimeSpan> EventuallyAsync(Func<Task<bool>> condition, TimeSpan within, string what)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < within, $"not within {within.TotalSeconds} s: {what}");
            await Task.Delay(100);
        }

        return watch.Elapsed;
    }
}

/// <summary>
/// A registry test against service processes: a database of its own (registering versions and
/// moving aliases must not reach other tests' hosts) and an artifact folder, both removed after.
/// </summary>
public abstract class RegistryProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private protected ITestOutputHelper Output { get; } = output;

    private protected CrashHarness Harness { get; } = new(output);

    private protected string Artifacts { get; } = Path.Combine(Path.GetTempPath(), "detector-artifacts-" + Guid.NewGuid().ToString("N"));

    public Task InitializeAsync() => Harness.CreateDatabaseAsync();

    public async Task DisposeAsync()
    {
        await Harness.DisposeAsync();
        if (Directory.Exists(Artifacts))
        {
            Directory.Delete(Artifacts, recursive: true);
        }
    }
}
