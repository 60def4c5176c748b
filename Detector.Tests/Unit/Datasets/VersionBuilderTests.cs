using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Detector.Modules.Datasets;
using Detector.Modules.Datasets.Canonical;
using Detector.Modules.Labeling.Contracts;

namespace Detector.Tests.Unit.Datasets;

/// <summary>Cutting versions from reviewed labels with the pure builder: content addressing, canonical forms, splits by hash, merges.</summary>
public sealed class VersionBuilderTests
{
    private static readonly Guid TenantA = Guid.Parse("0b7e3f4e-0000-4000-8000-00000000000a");
    private static readonly Guid TenantB = Guid.Parse("0b7e3f4e-0000-4000-8000-00000000000b");
    private readonly VersionBuilder _builder = new(new SplitRule(new DatasetSplits()));

    private static string Sha(string seed) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));

    private static ReviewedImage Image(string seed, Guid tenant, params ReviewedBox[] boxes) =>
        new(Guid.NewGuid(), tenant, Sha(seed), 640, 480, boxes, DateTimeOffset.UnixEpoch);

    private static readonly ReviewedImage[] Reviewed =
    [
        Image("cat-photo", TenantA, new ReviewedBox("cat", 10.004, 20.5, 100.126, 50)),
        Image("dog-photo", TenantA, new ReviewedBox("dog", 1, 2, 3, 4), new ReviewedBox("person", 5.555, 6, 7, 8)),
        Image("street", TenantB, new ReviewedBox("person", 0, 0, 10, 10), new ReviewedBox("car", 30, 40, 50, 60)),
    ];

    private VersionContent Cut(IEnumerable<ReviewedImage> images, PreviousVersion? previous = null) => _builder.Cut([.. images], _ => "jpg", previous);

    [Fact]
    public void Cutting_the_same_reviewed_images_in_another_order_gives_the_same_id_manifest_and_export_hash()
    {
        var first = Cut(Reviewed);
        var second = Cut(Reviewed.Reverse().Select(r => r with { ItemId = Guid.NewGuid(), FinalAt = DateTimeOffset.UtcNow }));
        Assert.Equal(first.Id, second.Id);
        Assert.Equal(first.Manifest, second.Manifest);
        Assert.Equal(first.ExportSha256, second.ExportSha256);
        Assert.Equal(first.Id, Convert.ToHexStringLower(SHA256.HashData(first.Manifest)));
    }

    [Fact]
    public void A_box_moved_by_a_hundredth_of_a_pixel_is_another_version_and_below_that_the_same()
    {
        var id = Cut(Reviewed).Id;
        var moved = Reviewed.Select((r, i) => i == 0 ? r with { Boxes = [new ReviewedBox("cat", 10.01, 20.5, 100.126, 50)] } : r);
        Assert.NotEqual(id, Cut(moved).Id);
        var jitter = Reviewed.Select((r, i) => i == 0 ? r with { Boxes = [new ReviewedBox("cat", 10.001, 20.5, 100.1251, 50)] } : r);
        Assert.Equal(id, Cut(jitter).Id);
    }

    [Fact]
    public void The_canonical_annotations_order_images_by_sha256_with_ids_from_1_and_name_files_by_it()
    {
        var content = Cut(Reviewed);
        var coco = JsonDocument.Parse(CanonicalJson.Annotations(content.Classes, content.Entries)).RootElement;
        var images = coco.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal([1, 2, 3], images.Select(i => i.GetProperty("id").GetInt32()));
        var names = images.Select(i => i.GetProperty("file_name").GetString()!).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.Equal(Reviewed.Select(r => r.ImageSha256 + ".jpg").Order(StringComparer.Ordinal), names);
        Assert.Equal(["car", "cat", "dog", "person"], coco.GetProperty("categories").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal([1, 2, 3, 4], coco.GetProperty("categories").EnumerateArray().Select(c => c.GetProperty("id").GetInt32()));
        var bbox = coco.GetProperty("annotations").EnumerateArray()
            .Single(a => a.GetProperty("category_id").GetInt32() == 2).GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble());
        Assert.Equal([10, 20.5, 100.13, 50], bbox);
        Assert.Equal(5, coco.GetProperty("annotations").GetArrayLength());
        Assert.Equal(content.AnnotationsSha256, CanonicalJson.Sha256(CanonicalJson.Annotations(content.Classes, content.Entries.Reverse().ToList())));
    }

    [Fact]
    public void A_merge_keeps_the_previous_class_map_appends_new_names_in_sorted_order_and_keeps_earlier_splits()
    {
        var previous = Cut(Reviewed.Take(1)); // classes: cat = 1
        var earlier = new PreviousVersion(previous.Id, previous.Classes, [.. previous.Entries.Select(e => e with { Split = Splits.Test })]);
        var merged = Cut([Reviewed[1], Reviewed[2], Reviewed[0] with { Boxes = [new ReviewedBox("zebra", 1, 1, 1, 1)] }], earlier);
        Assert.Equal([new DatasetClass(1, "cat"), new DatasetClass(2, "car"), new DatasetClass(3, "dog"), new DatasetClass(4, "person"), new DatasetClass(5, "zebra")], merged.Classes);
        var relabelled = Assert.Single(merged.Entries, e => e.Sha256 == Reviewed[0].ImageSha256);
        Assert.Equal(Splits.Test, relabelled.Split); // not the hash's split: an image never moves between splits
        Assert.Equal("zebra", Assert.Single(relabelled.Boxes).Label);
        Assert.Equal(3, merged.Entries.Count);
        Assert.NotEqual(previous.Id, merged.Id);
    }

    [Fact]
    public void Splits_follow_each_image_hash_and_the_percentages()
    {
        var rule = new SplitRule(new DatasetSplits { Train = 70, Val = 20, Test = 10 });
        var hashes = Enumerable.Range(0, 5000).Select(i => Sha("image-" + i)).ToList();
        var splits = hashes.Select(rule.Of).ToList();
        Assert.Equal(splits, hashes.Select(rule.Of));
        var counts = SplitCounts.Of(splits);
        Assert.InRange(counts.Train, 3350, 3650);
        Assert.InRange(counts.Val, 870, 1130);
        Assert.InRange(counts.Test, 400, 600);
        Assert.All(hashes, h => Assert.Equal(Splits.Train, new SplitRule(new DatasetSplits { Train = 100, Val = 0, Test = 0 }).Of(h)));
    }

    [Fact]
    public void The_export_hash_covers_every_file_so_a_changed_extension_or_image_changes_it()
    {
        var content = Cut(Reviewed);
        var files = ExportLayout.Files(content.Classes, content.Entries, content.Manifest).ToList();
        Assert.Equal(3 + 5, files.Count);
        Assert.Contains(files, f => f.Path == "manifest.json" && f.Sha256 == content.Id);
        Assert.Equal(content.ExportSha256, CanonicalJson.ExportSha256(files.AsEnumerable().Reverse()));
        Assert.NotEqual(content.ExportSha256, _builder.Cut(Reviewed, _ => "png", null).ExportSha256);
    }
}
