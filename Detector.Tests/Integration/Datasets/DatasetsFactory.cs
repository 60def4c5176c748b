using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Detector.Tests.Integration.Compliance;

namespace Detector.Tests.Integration.Datasets;

/// <summary>
/// The compliance host (real PostgreSQL, real image store, movable clock) with an import root
/// holding small COCO datasets cut from coco-ccby's val2017 (<see cref="Sets"/> disjoint sets of
/// <see cref="ImageCount"/> images with their annotations), and a work directory of its own; both are removed at the end.
/// </summary>
public sealed class DatasetsFactory : ComplianceFactory
{
    public const int ImageCount = 6;
    public const string Images = "coco/images";

    /// <summary>Disjoint sets of images: a version's id is its content, so each test imports a set of its own.</summary>
    public const int Sets = 5;

    public static string Annotations(int set) => $"coco/annotations/instances_set{set}.json";

    public DatasetsFactory()
    {
        Directory.CreateDirectory(Path.Combine(ImportRoot, "coco", "annotations"));
        Directory.CreateDirectory(Path.Combine(ImportRoot, Images));
        var source = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Coco, "annotations", "instances_val2017.json")))!;
        var present = Directory.GetFiles(Path.Combine(TestPaths.Coco, "val2017"), "*.jpg").Select(Path.GetFileName).ToHashSet();
        var all = source["images"]!.AsArray().Where(i => present.Contains(i!["file_name"]!.GetValue<string>())).OrderBy(i => i!["id"]!.GetValue<long>()).ToList();
        for (var set = 0; set < Sets; set++)
        {
            var images = all.Skip(set * ImageCount).Take(ImageCount).ToList();
            Assert.Equal(ImageCount, images.Count);
            foreach (var image in images)
            {
                var name = image!["file_name"]!.GetValue<string>();
                File.Copy(Path.Combine(TestPaths.Coco, "val2017", name), Path.Combine(ImportRoot, Images, name));
            }

            File.WriteAllText(Path.Combine(ImportRoot, Annotations(set)), Subset(source, images).ToJsonString());
        }
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
    public static Task<(System.Net.HttpStatusCode Status, JsonElement Body)> ImportAsync(HttpClient admin, string dataset, Guid tenantId, int set) =>
        ImportFileAsync(admin, dataset, tenantId, Annotations(set));

    /// <summary>
    /// Imports only the first <paramref name="count"/> images of a set, with their annotations: a
    /// version of its own (ids are content addresses, and other tests import whole sets).
    /// </summary>
    public async Task<(System.Net.HttpStatusCode Status, JsonElement Body)> ImportFirstAsync(HttpClient admin, string dataset, Guid tenantId, int set, int count)
    {
        var source = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(ImportRoot, Annotations(set))))!;
        var file = $"coco/annotations/instances_set{set}_first{count}.json";
        await File.WriteAllTextAsync(Path.Combine(ImportRoot, file), Subset(source, source["images"]!.AsArray().Take(count)).ToJsonString());
        return await ImportFileAsync(admin, dataset, tenantId, file);
    }

    /// <summary>The sha256 of a version's first entry (by ordinal).</summary>
    public async Task<string> FirstEntrySha256Async(string versionId) =>
        (await QueryAsync<string>("SELECT image_sha256::text FROM datasets.entries WHERE version_id = @id ORDER BY ordinal", ("id", versionId)))[0];

    /// <summary>COCO instances JSON of <paramref name="images"/>: their annotations and every category of <paramref name="source"/>.</summary>
    private static JsonObject Subset(JsonNode source, IEnumerable<JsonNode?> images)
    {
        var chosen = images.ToList();
        var ids = chosen.Select(i => i!["id"]!.GetValue<long>()).ToHashSet();
        return new JsonObject
        {
            ["images"] = new JsonArray([.. chosen.Select(i => i!.DeepClone())]),
            ["annotations"] = new JsonArray([.. source["annotations"]!.AsArray().Where(a => ids.Contains(a!["image_id"]!.GetValue<long>())).Select(a => a!.DeepClone())]),
            ["categories"] = source["categories"]!.DeepClone(),
        };
    }

    private static async Task<(System.Net.HttpStatusCode Status, JsonElement Body)> ImportFileAsync(HttpClient admin, string dataset, Guid tenantId, string annotations)
    {
        using var response = await admin.PostAsJsonAsync($"/v1/admin/datasets/{dataset}/versions/import", new { tenant_id = tenantId, annotations, images = Images });
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
