using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Detector.Tests.Integration.Compliance;

namespace Detector.Tests.Integration.Datasets;

/// <summary>
/// The compliance host (real PostgreSQL, real image store, movable clock) with an import root
/// holding a small COCO dataset cut from coco-ccby's val2017 (<see cref="ImageCount"/> images and
/// their annotations), and a work directory of its own; both are removed at the end.
/// </summary>
public sealed class DatasetsFactory : ComplianceFactory
{
    public const int ImageCount = 6;
    public const string Annotations = "coco/annotations/instances.json";
    public const string Images = "coco/images";

    public DatasetsFactory()
    {
        var annotations = Path.Combine(ImportRoot, Annotations);
        Directory.CreateDirectory(Path.GetDirectoryName(annotations)!);
        Directory.CreateDirectory(Path.Combine(ImportRoot, Images));
        var source = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Coco, "annotations", "instances_val2017.json")))!;
        var present = Directory.GetFiles(Path.Combine(TestPaths.Coco, "val2017"), "*.jpg").Select(Path.GetFileName).ToHashSet();
        var images = source["images"]!.AsArray().Where(i => present.Contains(i!["file_name"]!.GetValue<string>())).OrderBy(i => i!["id"]!.GetValue<long>()).Take(ImageCount).ToList();
        var ids = images.Select(i => i!["id"]!.GetValue<long>()).ToHashSet();
        foreach (var image in images)
        {
            var name = image!["file_name"]!.GetValue<string>();
            File.Copy(Path.Combine(TestPaths.Coco, "val2017", name), Path.Combine(ImportRoot, Images, name));
        }

        var subset = new JsonObject
        {
            ["images"] = new JsonArray([.. images.Select(i => i!.DeepClone())]),
            ["annotations"] = new JsonArray([.. source["annotations"]!.AsArray().Where(a => ids.Contains(a!["image_id"]!.GetValue<long>())).Select(a => a!.DeepClone())]),
            ["categories"] = source["categories"]!.DeepClone(),
        };
        File.WriteAllText(annotations, subset.ToJsonString());
    }

    public string ImportRoot { get; } = Path.Combine(Path.GetTempPath(), "detector-datasets-" + Guid.NewGuid().ToString("N"));

    public string WorkDirectory => Path.Combine(ImportRoot, "work");

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        .. base.ExtraSettings(),
        new("Datasets:ImportRoot", ImportRoot),
        new("Datasets:WorkDirectory", WorkDirectory),
    ];

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(ImportRoot, recursive: true);
    }

    /// <summary>Imports the COCO subset as a version of <paramref name="dataset"/> for the tenant; the answer's status and body.</summary>
    public static async Task<(System.Net.HttpStatusCode Status, JsonElement Body)> ImportAsync(HttpClient admin, string dataset, Guid tenantId)
    {
        using var response = await admin.PostAsJsonAsync($"/v1/admin/datasets/{dataset}/versions/import", new { tenant_id = tenantId, annotations = Annotations, images = Images });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    /// <summary>The environment the service's command lines run with against this host's database and image store.</summary>
    public Dictionary<string, string> CommandEnvironment() => new()
    {
        ["Database__ConnectionString"] = ConnectionString,
        ["Database__MigrationsPath"] = Path.Combine(TestPaths.RepoRoot, "db"),
        ["ImageStore__Encryption__MasterKey"] = TestSecrets.ImageMasterKey,
        ["Datasets__ImportRoot"] = ImportRoot,
        ["Datasets__WorkDirectory"] = WorkDirectory,
    };
}
