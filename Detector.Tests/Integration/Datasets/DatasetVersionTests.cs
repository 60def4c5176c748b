using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Detector.Modules.Common;
using Detector.Modules.Datasets.Canonical;
using Detector.Modules.Datasets.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Detector.Tests.Integration.Datasets;

/// <summary>
/// Dataset versions imported from a COCO folder over HTTP: content-addressed (the same content is
/// the same version, from scratch too), exported bit-identically by the command line and by
/// <see cref="IDatasetVersions"/>, and the export's files hash back to the version's id and ExportSha256.
/// </summary>
[Collection("Jobs")]
public sealed class DatasetVersionTests(DatasetsFactory factory, ITestOutputHelper output) : IClassFixture<DatasetsFactory>
{
    [Fact]
    public async Task Importing_the_same_coco_folder_twice_answers_the_same_version_and_stores_it_once()
    {
        using var admin = factory.Admin();
        using var tenant = await Compliance.TenantUsage.CreateAsync(factory, admin, "datasets-twice", firstImage: -1);
        var (status, first) = await DatasetsFactory.ImportAsync(admin, "twice", tenant.TenantId, set: 0);
        Assert.Equal(HttpStatusCode.Created, status);
        var id = first.GetProperty("id").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", id);
        Assert.True(first.GetProperty("complete").GetBoolean());
        Assert.Equal(DatasetsFactory.ImageCount, first.GetProperty("images").GetInt32());
        var splits = first.GetProperty("splits");
        Assert.Equal(DatasetsFactory.ImageCount, splits.GetProperty("train").GetInt32() + splits.GetProperty("val").GetInt32() + splits.GetProperty("test").GetInt32());
        Assert.Equal(80, first.GetProperty("classes").GetArrayLength()); // COCO's categories, ids as in the file
        Assert.Equal(90, first.GetProperty("classes").EnumerateArray().Max(c => c.GetProperty("id").GetInt32()));

        var (again, second) = await DatasetsFactory.ImportAsync(admin, "twice", tenant.TenantId, set: 0);
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal(id, second.GetProperty("id").GetString());
        Assert.Equal(1, (await factory.QueryAsync<long>("SELECT count(*) FROM datasets.versions WHERE id = @id", ("id", id)))[0]);
        Assert.Equal(DatasetsFactory.ImageCount, (await factory.QueryAsync<long>("SELECT count(*) FROM datasets.entries WHERE version_id = @id", ("id", id)))[0]);

        var listed = await admin.GetFromJsonAsync<JsonElement>("/v1/admin/datasets/twice/versions");
        Assert.Equal(id, Assert.Single(listed.GetProperty("items").EnumerateArray()).GetProperty("id").GetString());
        var datasets = await admin.GetFromJsonAsync<JsonElement>("/v1/admin/datasets");
        Assert.Contains(datasets.GetProperty("items").EnumerateArray(), d => d.GetProperty("name").GetString() == "twice" && d.GetProperty("latest_version").GetString() == id);

        // The manifest's bytes hash to the id.
        var manifest = await admin.GetByteArrayAsync($"/v1/admin/datasets/versions/{id}/manifest");
        Assert.Equal(id, Convert.ToHexStringLower(SHA256.HashData(manifest)));
        Assert.StartsWith("{\"schema\":\"detector.dataset/1\"", System.Text.Encoding.UTF8.GetString(manifest), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../outside/instances.json", DatasetsFactory.Images)]
    [InlineData("coco/annotations/instances_set3.json", "/etc")]
    [InlineData("coco/annotations/instances_set3.json", "coco/../../")]
    public async Task An_import_naming_a_path_outside_the_import_root_is_refused_with_a_problem(string annotations, string images)
    {
        using var admin = factory.Admin();
        using var tenant = await Compliance.TenantUsage.CreateAsync(factory, admin, "datasets-escape", firstImage: -1);
        using var response = await admin.PostAsJsonAsync("/v1/admin/datasets/escape/versions/import", new { tenant_id = tenant.TenantId, annotations, images });
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.DatasetNotFound);
        Assert.Empty(await factory.QueryAsync<string>("SELECT name FROM datasets.datasets WHERE name = 'escape'"));
    }

    [Fact]
    public async Task A_version_is_exported_bit_identically_twice_and_its_files_hash_back_to_its_id_and_export_sha256()
    {
        using var admin = factory.Admin();
        using var tenant = await Compliance.TenantUsage.CreateAsync(factory, admin, "datasets-export", firstImage: -1);
        var (_, version) = await DatasetsFactory.ImportAsync(admin, "export", tenant.TenantId, set: 1);
        var id = version.GetProperty("id").GetString()!;
        var exportSha256 = version.GetProperty("export_sha256").GetString()!;
        var a = Path.Combine(factory.ImportRoot, "out-a");
        var b = Path.Combine(factory.ImportRoot, "out-b");
        foreach (var folder in new[] { a, b })
        {
            var (code, text) = await WebCommand.RunAsync(["datasets", "export", "--version", id, "--out", folder], factory.CommandEnvironment(), TimeSpan.FromMinutes(2));
            output.WriteLine(text);
            Assert.Equal(0, code);
        }

        var filesA = ExportedFiles(a);
        Assert.Equal(DatasetsFactory.ImageCount + 5 + 1, filesA.Count); // images, four annotation files, manifest.json, handoff.json
        Assert.Equal(filesA, ExportedFiles(b));

        // Recomputed from the files alone: the manifest from the images, splits, categories and annotations; the export hash from every file but the handoff.
        var all = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(a, "annotations", "instances_all.json"))).RootElement;
        var classes = all.GetProperty("categories").EnumerateArray().Select(c => new DatasetClass(c.GetProperty("id").GetInt32(), c.GetProperty("name").GetString()!)).ToList();
        var entries = new List<DatasetEntry>();
        foreach (var split in Splits.Each)
        {
            var part = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(a, "annotations", $"instances_{split}.json"))).RootElement;
            foreach (var image in part.GetProperty("images").EnumerateArray())
            {
                var file = image.GetProperty("file_name").GetString()!;
                var sha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(a, "images", file))));
                Assert.Equal(sha256, Path.GetFileNameWithoutExtension(file)); // an image is named by the sha256 of its bytes
                entries.Add(new DatasetEntry(Guid.Empty, sha256, "jpg", split, 0, 0, []));
            }
        }

        Assert.Equal(DatasetsFactory.ImageCount, entries.Count);
        var annotationsSha256 = filesA["annotations/instances_all.json"];
        Assert.Equal(version.GetProperty("annotations_sha256").GetString(), annotationsSha256);
        var manifest = CanonicalJson.Manifest(classes, annotationsSha256, entries);
        Assert.Equal(id, CanonicalJson.Sha256(manifest));
        Assert.Equal(id, filesA["manifest.json"]);
        Assert.Equal(exportSha256, CanonicalJson.ExportSha256(filesA.Where(f => f.Key != "handoff.json").Select(f => (f.Key, f.Value))));

        var handoff = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(a, "handoff.json"))).RootElement;
        Assert.Equal(id, handoff.GetProperty("version").GetString());
        Assert.Equal(id, handoff.GetProperty("manifest_sha256").GetString());
        Assert.Equal(exportSha256, handoff.GetProperty("export_sha256").GetString());
        Assert.Equal(DatasetsFactory.ImageCount + 5, handoff.GetProperty("files").GetArrayLength());

        // The service's own materialization (for evaluations and training) is the same files.
        var materialized = await factory.Services.GetRequiredService<IDatasetVersions>().MaterializeAsync(id, null, CancellationToken.None);
        var root = Path.GetDirectoryName(Path.GetDirectoryName(materialized.AnnotationsPath))!;
        Assert.Equal(filesA.Where(f => f.Key != "handoff.json"), ExportedFiles(root).Where(f => !f.Key.StartsWith('.')));

        // A folder that is not empty is refused.
        var (refused, _) = await WebCommand.RunAsync(["datasets", "export", "--version", id, "--out", a], factory.CommandEnvironment(), TimeSpan.FromMinutes(2));
        Assert.Equal(2, refused);
    }

    [Fact]
    public async Task A_version_rebuilt_from_scratch_for_another_tenant_has_the_same_id_and_export_sha256()
    {
        using var admin = factory.Admin();
        using var first = await Compliance.TenantUsage.CreateAsync(factory, admin, "datasets-scratch-1", firstImage: -1);
        var (_, version) = await DatasetsFactory.ImportAsync(admin, "scratch", first.TenantId, set: 2);
        var id = version.GetProperty("id").GetString()!;

        // The version's rows go, and a tenant whose store has none of the images imports the set anew.
        await factory.ExecuteAsync($"DELETE FROM datasets.entries WHERE version_id = '{id}'; DELETE FROM datasets.versions WHERE id = '{id}'");
        Assert.Empty(await factory.QueryAsync<string>("SELECT id::text FROM datasets.versions WHERE id = @id", ("id", id)));
        using var second = await Compliance.TenantUsage.CreateAsync(factory, admin, "datasets-scratch-2", firstImage: -1);
        var (status, rebuilt) = await DatasetsFactory.ImportAsync(admin, "scratch", second.TenantId, set: 2);
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(id, rebuilt.GetProperty("id").GetString());
        Assert.Equal(version.GetProperty("export_sha256").GetString(), rebuilt.GetProperty("export_sha256").GetString());
        Assert.Equal(version.GetProperty("annotations_sha256").GetString(), rebuilt.GetProperty("annotations_sha256").GetString());
        Assert.Equal(
            [second.TenantId],
            await factory.QueryAsync<Guid>("SELECT DISTINCT tenant_id FROM datasets.entries WHERE version_id = @id", ("id", id)));
    }

    /// <summary>Every file under <paramref name="folder"/> by relative path ('/'-separated), with its sha256.</summary>
    internal static SortedDictionary<string, string> ExportedFiles(string folder) =>
        new(Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'),
            f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))), StringComparer.Ordinal);
}
