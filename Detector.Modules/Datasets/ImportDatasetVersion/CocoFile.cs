using System.Text.Json;
using Detector.Modules.Common;
using Detector.Modules.Datasets.Canonical;

namespace Detector.Modules.Datasets.ImportDatasetVersion;

/// <summary>One image of a COCO file with its boxes (by class name).</summary>
internal sealed record CocoImage(string FileName, int Width, int Height, List<EntryBox> Boxes);

/// <summary>A COCO instances file as an import reads it: the categories (kept as the class map, ids and names as given) and the images with their boxes.</summary>
internal sealed record CocoFile(IReadOnlyList<DatasetClass> Classes, IReadOnlyList<CocoImage> Images)
{
    public static async Task<CocoFile> ReadAsync(string path, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        try
        {
            using var document = await JsonDocument.ParseAsync(stream, cancellationToken: ct);
            var root = document.RootElement;
            var classes = root.GetProperty("categories").EnumerateArray()
                .Select(c => new DatasetClass(c.GetProperty("id").GetInt32(), c.GetProperty("name").GetString()!)).OrderBy(c => c.Id).ToList();
            if (classes.Select(c => c.Name).Distinct(StringComparer.Ordinal).Count() != classes.Count || classes.Select(c => c.Id).Distinct().Count() != classes.Count)
            {
                throw Invalid("Category ids and names must each be unique.");
            }

            var nameOf = classes.ToDictionary(c => c.Id, c => c.Name);
            var images = new Dictionary<long, CocoImage>();
            foreach (var image in root.GetProperty("images").EnumerateArray())
            {
                images[image.GetProperty("id").GetInt64()] = new CocoImage(
                    image.GetProperty("file_name").GetString()!, image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32(), []);
            }

            foreach (var annotation in root.TryGetProperty("annotations", out var a) ? a.EnumerateArray() : default)
            {
                var imageId = annotation.GetProperty("image_id").GetInt64();
                var categoryId = annotation.GetProperty("category_id").GetInt32();
                if (!images.TryGetValue(imageId, out var image) || !nameOf.TryGetValue(categoryId, out var name))
                {
                    throw Invalid($"An annotation names image {imageId} or category {categoryId}, which the file does not have.");
                }

                var box = annotation.GetProperty("bbox");
                var crowd = annotation.TryGetProperty("iscrowd", out var c) && c.GetInt32() != 0;
                image.Boxes.Add(new EntryBox(name, CanonicalJson.Round(box[0].GetDouble()), CanonicalJson.Round(box[1].GetDouble()),
                    CanonicalJson.Round(box[2].GetDouble()), CanonicalJson.Round(box[3].GetDouble()), crowd));
            }

            return new CocoFile(classes, [.. images.OrderBy(i => i.Key).Select(i => i.Value)]);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            throw Invalid("The annotations file is not COCO instances JSON: " + ex.Message);
        }
    }

    private static DomainException Invalid(string detail) =>
        new(OutcomeKind.Unprocessable, ErrorCodes.DatasetInvalid, "Invalid COCO dataset", detail);
}
