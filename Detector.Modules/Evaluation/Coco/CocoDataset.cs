using System.Text.Json;

namespace Detector.Modules.Evaluation.Coco;

/// <summary>A COCO box: top-left corner, width and height, in pixels.</summary>
internal readonly record struct CocoBox(double X, double Y, double Width, double Height)
{
    public CocoBox Scale(double factor) => new(X * factor, Y * factor, Width * factor, Height * factor);
}

internal sealed record CocoImage(long Id, string FileName, int Width, int Height);

internal sealed record CocoCategory(int Id, string Name);

/// <summary>
/// A ground-truth object. Area is the annotation's own 'area' field (the segment area), which is
/// what COCOeval uses to place a ground truth in an area range, not the box area.
/// </summary>
internal sealed record CocoAnnotation(long Id, long ImageId, int CategoryId, CocoBox Box, double Area, bool IsCrowd);

/// <summary>One entry of a COCO results file.</summary>
internal sealed record CocoDetection(long ImageId, int CategoryId, CocoBox Box, double Score);

/// <summary>The parts of a COCO instances file that bbox evaluation reads.</summary>
internal sealed class CocoDataset
{
    public CocoDataset(IReadOnlyList<CocoImage> images, IReadOnlyList<CocoCategory> categories, IReadOnlyList<CocoAnnotation> annotations)
    {
        Images = images;
        Categories = categories;
        Annotations = annotations;
    }

    public IReadOnlyList<CocoImage> Images { get; }

    public IReadOnlyList<CocoCategory> Categories { get; }

    /// <summary>In file order: COCOeval's tie-breaking (stable sorts) depends on it.</summary>
    public IReadOnlyList<CocoAnnotation> Annotations { get; }

    public static CocoDataset Load(string path)
    {
        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream);
        return Parse(document.RootElement);
    }

    public static CocoDataset Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Parse(document.RootElement);
    }

    /// <summary>The same dataset photographed at <paramref name="factor"/> times the size: boxes scale linearly, areas quadratically.</summary>
    public CocoDataset Scale(double factor)
    {
        if (factor == 1.0)
        {
            return this;
        }

        var images = Images
            .Select(i => i with { Width = (int)Math.Round(i.Width * factor), Height = (int)Math.Round(i.Height * factor) })
            .ToList();
        var annotations = Annotations
            .Select(a => a with { Box = a.Box.Scale(factor), Area = a.Area * factor * factor })
            .ToList();
        return new CocoDataset(images, Categories, annotations);
    }

    private static CocoDataset Parse(JsonElement root)
    {
        var images = new List<CocoImage>();
        if (root.TryGetProperty("images", out var imagesElement))
        {
            foreach (var image in imagesElement.EnumerateArray())
            {
                images.Add(new CocoImage(
                    image.GetProperty("id").GetInt64(),
                    image.TryGetProperty("file_name", out var name) ? name.GetString() ?? string.Empty : string.Empty,
                    image.TryGetProperty("width", out var width) ? width.GetInt32() : 0,
                    image.TryGetProperty("height", out var height) ? height.GetInt32() : 0));
            }
        }

        var categories = new List<CocoCategory>();
        if (root.TryGetProperty("categories", out var categoriesElement))
        {
            foreach (var category in categoriesElement.EnumerateArray())
            {
                categories.Add(new CocoCategory(
                    category.GetProperty("id").GetInt32(),
                    category.TryGetProperty("name", out var name) ? name.GetString() ?? string.Empty : string.Empty));
            }
        }

        var annotations = new List<CocoAnnotation>();
        if (root.TryGetProperty("annotations", out var annotationsElement))
        {
            foreach (var annotation in annotationsElement.EnumerateArray())
            {
                var box = ReadBox(annotation.GetProperty("bbox"));

                // pycocotools requires 'area' on ground truth; falling back to the box area keeps
                // hand-written fixtures short without changing anything for real COCO files.
                var area = annotation.TryGetProperty("area", out var areaElement) ? areaElement.GetDouble() : box.Width * box.Height;
                var crowd = annotation.TryGetProperty("iscrowd", out var crowdElement) && ReadFlag(crowdElement);
                annotations.Add(new CocoAnnotation(
                    annotation.GetProperty("id").GetInt64(),
                    annotation.GetProperty("image_id").GetInt64(),
                    annotation.GetProperty("category_id").GetInt32(),
                    box,
                    area,
                    crowd));
            }
        }

        return new CocoDataset(images, categories, annotations);
    }

    internal static CocoBox ReadBox(JsonElement element)
    {
        if (element.GetArrayLength() != 4)
        {
            throw new FormatException("A COCO bbox must have four numbers [x, y, w, h].");
        }

        return new CocoBox(element[0].GetDouble(), element[1].GetDouble(), element[2].GetDouble(), element[3].GetDouble());
    }

    private static bool ReadFlag(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => element.GetDouble() != 0,
        _ => false,
    };
}

/// <summary>Reads and writes COCO results files: a JSON array of {image_id, category_id, bbox, score}.</summary>
internal static class CocoResultsFile
{
    public static async Task WriteAsync(string path, IEnumerable<CocoDetection> detections, CancellationToken ct)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        await using var stream = File.Create(path);
        await using var writer = new Utf8JsonWriter(stream);
        writer.WriteStartArray();
        foreach (var detection in detections)
        {
            writer.WriteStartObject();
            writer.WriteNumber("image_id", detection.ImageId);
            writer.WriteNumber("category_id", detection.CategoryId);
            writer.WriteStartArray("bbox");

            // Shortest round-trip doubles: pycocotools reading this file evaluates exactly what we did.
            writer.WriteNumberValue(detection.Box.X);
            writer.WriteNumberValue(detection.Box.Y);
            writer.WriteNumberValue(detection.Box.Width);
            writer.WriteNumberValue(detection.Box.Height);
            writer.WriteEndArray();
            writer.WriteNumber("score", detection.Score);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        await writer.FlushAsync(ct);
    }

    public static IReadOnlyList<CocoDetection> Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var detections = new List<CocoDetection>();
        foreach (var item in document.RootElement.EnumerateArray())
        {
            detections.Add(new CocoDetection(
                item.GetProperty("image_id").GetInt64(),
                item.GetProperty("category_id").GetInt32(),
                CocoDataset.ReadBox(item.GetProperty("bbox")),
                item.GetProperty("score").GetDouble()));
        }

        return detections;
    }
}
