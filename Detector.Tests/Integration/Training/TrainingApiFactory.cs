using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Detector.Modules.Models.Contracts;
using Detector.Tests.Integration.Jobs;
using Detector.Tests.Integration.Models;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Integration.Training;

/// <summary>
/// The service in process over real HTTP and its own database, serving YOLOX-nano only, with the
/// shared datasets as the evaluation root and the dataset import root.
/// </summary>
public sealed class TrainingApiFactory : JobsApiFactory
{
    public const string Model = RegistryKit.Model;

    /// <summary>The seed version of <see cref="Model"/>: registered at start-up with its artifact's sha256.</summary>
    public ModelVersion SeedVersion => Services.GetRequiredService<IModelCatalog>().Snapshot.Model(Model)!.Production!;

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        new("Models:Enabled:0", Model),
        new("Models:Default", Model),
        new("Evaluation:DatasetRoot", Path.Combine(TestPaths.Shared, "datasets")),
        new("Evaluation:Concurrency", "2"),
        new("Datasets:ImportRoot", Path.Combine(TestPaths.Shared, "datasets")),
    ];
}

/// <summary>Training-run records, lineage and evaluations through the admin API.</summary>
internal static class TrainingKit
{
    public static readonly string Sha = new('a', 64);

    /// <summary>A valid record of a run that produced <paramref name="version"/> (its artifact <paramref name="artifactSha256"/>) from a dataset version.</summary>
    public static JsonObject Record(string version, string artifactSha256, string datasetVersion, string exportSha256) => new()
    {
        ["model"] = TrainingApiFactory.Model,
        ["version"] = version,
        ["artifact_sha256"] = artifactSha256,
        ["dataset_version"] = datasetVersion,
        ["export_sha256"] = exportSha256,
        ["config"] = new JsonObject
        {
            ["search_space"] = new JsonObject { ["lr"] = new JsonArray(0.001, 0.01), ["epochs"] = new JsonArray(50, 100) },
            ["chosen"] = new JsonObject { ["lr"] = 0.01, ["epochs"] = 100 },
        },
        ["seed"] = 42,
        ["code_version"] = "git:0123456789abcdef0123456789abcdef01234567",
        ["image_digest"] = "sha256:" + new string('b', 64),
        ["metrics"] = new JsonObject { ["val_map"] = 0.318, ["train_loss"] = 1.25 },
    };

    public static Task<HttpResponseMessage> PostRunAsync(HttpClient admin, JsonObject record) => admin.PostAsJsonAsync("/v1/admin/training-runs", record);

    public static async Task<JsonNode> LineageAsync(HttpClient admin, string version)
    {
        using var response = await admin.GetAsync($"/v1/admin/models/{TrainingApiFactory.Model}/versions/{version}/lineage");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!;
    }
}
