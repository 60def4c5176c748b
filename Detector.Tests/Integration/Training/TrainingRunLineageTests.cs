using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Detector.Modules.Datasets.Contracts;
using Detector.Modules.Models.Contracts;
using Detector.Tests.Integration.Evaluation;
using Microsoft.Extensions.DependencyInjection;
using static Detector.Tests.Integration.Training.TrainingKit;

namespace Detector.Tests.Integration.Training;

/// <summary>
/// The loop closed over a real dataset version, imported through the Datasets module's API:
/// a training run recorded on it, the version evaluated on it, and the lineage that answers both.
/// These tests need the Datasets module's implementation of <see cref="IDatasetVersions"/>.
/// </summary>
[Collection("Jobs")]
public sealed class TrainingRunLineageTests(TrainingApiFactory factory) : IClassFixture<TrainingApiFactory>
{
    [Fact]
    public async Task A_run_on_an_imported_dataset_version_is_recorded_once_under_its_record_hash_and_the_lineage_names_it_and_the_evaluation_on_that_version()
    {
        using var admin = factory.Admin();
        var seed = factory.SeedVersion;
        var dataset = await ImportAsync(admin);

        var record = Record(seed.Version, seed.Manifest.Sha256, dataset.Id, dataset.ExportSha256);
        using var created = await PostRunAsync(admin, record);
        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, body);
        var run = JsonNode.Parse(body)!;
        var id = run["id"]!.GetValue<Guid>();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(run["record"]!.GetValue<string>()))), run["record_sha256"]!.GetValue<string>());

        // The same record, members reordered: the same run.
        var reordered = new JsonObject(record.Reverse().Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        using (var again = await PostRunAsync(admin, reordered))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Equal(id, JsonNode.Parse(await again.Content.ReadAsStringAsync())!["id"]!.GetValue<Guid>());
        }

        var wrongExport = Record(seed.Version, seed.Manifest.Sha256, dataset.Id, new string('c', 64));
        using (var mismatch = await PostRunAsync(admin, wrongExport))
        {
            await ProblemAssert.IsProblemAsync(mismatch, HttpStatusCode.UnprocessableEntity, Detector.Modules.Common.ErrorCodes.ExportMismatch);
        }

        var evaluation = await EvaluationKit.WaitAsync(admin, await StartOnVersionAsync(admin, $"{TrainingApiFactory.Model}@{seed.Version}", dataset.Id));
        Assert.Equal(dataset.Id, evaluation["dataset"]!["version"]!.GetValue<string>());
        Assert.True(evaluation["dataset"]!["complete"]!.GetValue<bool>());

        var lineage = await LineageAsync(admin, seed.Version);
        var trained = Assert.Single(lineage["trained_by"]!.AsArray())!;
        Assert.Equal(id, trained["id"]!.GetValue<Guid>());
        Assert.Equal(dataset.Id, trained["dataset_version"]!.GetValue<string>());
        Assert.Equal(dataset.ExportSha256, trained["export_sha256"]!.GetValue<string>());
        Assert.True(trained["dataset"]!["complete"]!.GetValue<bool>());
        var validated = lineage["validated_by"]!.AsArray().Single(e => e!["dataset_version"]?.GetValue<string>() == dataset.Id)!;
        Assert.Equal("all", validated["split"]!.GetValue<string>());
        Assert.Equal(64, validated["annotations_sha256"]!.GetValue<string>().Length);

        var listed = JsonNode.Parse(await admin.GetStringAsync($"/v1/admin/training-runs?model={TrainingApiFactory.Model}&version={seed.Version}"))!;
        Assert.Equal(id, Assert.Single(listed["runs"]!.AsArray())!["id"]!.GetValue<Guid>());
        var metrics = await factory.Services.GetRequiredService<IModelVersionMetadata>().MetricsAsync(TrainingApiFactory.Model, seed.Version, CancellationToken.None);
        var named = Assert.Single(metrics!.Value.GetProperty("training_runs").EnumerateArray());
        Assert.Equal(run["record_sha256"]!.GetValue<string>(), named.GetProperty("record_sha256").GetString());
    }

    private async Task<DatasetVersionInfo> ImportAsync(HttpClient admin)
    {
        using var tenant = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name = "training-data" });
        tenant.EnsureSuccessStatusCode();
        var tenantId = JsonNode.Parse(await tenant.Content.ReadAsStringAsync())!["id"]!.GetValue<Guid>();
        using var imported = await admin.PostAsJsonAsync("/v1/admin/datasets/training-loop/versions/import", new
        {
            tenant_id = tenantId,
            annotations = "coco-ccby/annotations/instances_val2017.json",
            images = "coco-ccby/val2017",
        });
        var body = await imported.Content.ReadAsStringAsync();
        Assert.True(imported.IsSuccessStatusCode, $"dataset import: {(int)imported.StatusCode} {body}");
        var id = JsonNode.Parse(body)!["id"]!.GetValue<string>();
        var version = await factory.Services.GetRequiredService<IDatasetVersions>().FindAsync(id, CancellationToken.None);
        Assert.NotNull(version);
        return version;
    }

    private static async Task<Guid> StartOnVersionAsync(HttpClient admin, string model, string datasetVersion)
    {
        using var response = await admin.PostAsJsonAsync("/v1/admin/evaluations", new { model, dataset_version = datasetVersion, split = "all" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }
}
