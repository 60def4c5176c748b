using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Detector.Modules.Datasets.Canonical;

/// <summary>
/// The one serializer of a version's canonical forms: the COCO annotations (images by sha256 with
/// ids 1..n, categories from the class map, annotations sorted, boxes at <see cref="BoxDecimals"/>
/// decimals) and the manifest. Fixed property order, no indentation, no escaping beyond JSON's
/// own, numbers in their shortest round-trip form: the same entries give the same bytes on every
/// machine and every run. Changing anything here changes every version's id: bump <see cref="Schema"/>.
/// </summary>
internal static class CanonicalJson
{
    public const string Schema = "detector.dataset/1";

    /// <summary>Decimals a box coordinate keeps (a hundredth of a pixel).</summary>
    public const int BoxDecimals = 2;

    private static readonly JsonWriterOptions Options = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };

    public static double Round(double value)
    {
        var rounded = Math.Round(value, BoxDecimals, MidpointRounding.ToEven);
        return rounded == 0 ? 0 : rounded; // no "-0"
    }

    /// <summary>COCO instances JSON of <paramref name="entries"/> (sorted by sha256 here, whatever their order).</summary>
    public static byte[] Annotations(IReadOnlyList<DatasetClass> classes, IEnumerable<DatasetEntry> entries)
    {
        var categoryOf = classes.ToDictionary(c => c.Name, c => c.Id, StringComparer.Ordinal);
        var images = entries.OrderBy(e => e.Sha256, StringComparer.Ordinal).ToList();
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteStartArray("images");
            for (var i = 0; i < images.Count; i++)
            {
                json.WriteStartObject();
                json.WriteNumber("id", i + 1);
                json.WriteString("file_name", images[i].FileName);
                json.WriteNumber("width", images[i].Width);
                json.WriteNumber("height", images[i].Height);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("annotations");
            var boxes = images
                .SelectMany((image, index) => image.Boxes.Select(b => (ImageId: index + 1, Category: categoryOf[b.Label], Box: b)))
                .OrderBy(a => a.ImageId).ThenBy(a => a.Category)
                .ThenBy(a => a.Box.X).ThenBy(a => a.Box.Y).ThenBy(a => a.Box.Width).ThenBy(a => a.Box.Height).ThenBy(a => a.Box.IsCrowd);
            var id = 0;
            foreach (var (imageId, category, box) in boxes)
            {
                json.WriteStartObject();
                json.WriteNumber("id", ++id);
                json.WriteNumber("image_id", imageId);
                json.WriteNumber("category_id", category);
                json.WriteStartArray("bbox");
                json.WriteNumberValue(box.X);
                json.WriteNumberValue(box.Y);
                json.WriteNumberValue(box.Width);
                json.WriteNumberValue(box.Height);
                json.WriteEndArray();
                json.WriteNumber("area", Round(box.Width * box.Height));
                json.WriteNumber("iscrowd", box.IsCrowd ? 1 : 0);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            WriteClasses(json, "categories", classes);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The manifest whose sha256 is the version's id.</summary>
    public static byte[] Manifest(IReadOnlyList<DatasetClass> classes, string annotationsSha256, IEnumerable<DatasetEntry> entries)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("schema", Schema);
            WriteClasses(json, "classes", classes);
            json.WriteString("annotations_sha256", annotationsSha256);
            json.WriteStartArray("images");
            foreach (var entry in entries.OrderBy(e => e.Sha256, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("sha256", entry.Sha256);
                json.WriteString("split", entry.Split);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The export's hash: sha256 of the lines "&lt;relative path&gt; &lt;sha256&gt;\n", sorted by path (ordinal).</summary>
    public static string ExportSha256(IEnumerable<(string Path, string Sha256)> files)
    {
        var text = new StringBuilder();
        foreach (var (path, sha256) in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            text.Append(path).Append(' ').Append(sha256).Append('\n');
        }

        return Sha256(Encoding.UTF8.GetBytes(text.ToString()));
    }

    private static void WriteClasses(Utf8JsonWriter json, string name, IReadOnlyList<DatasetClass> classes)
    {
        json.WriteStartArray(name);
        foreach (var c in classes.OrderBy(c => c.Id))
        {
            json.WriteStartObject();
            json.WriteNumber("id", c.Id);
            json.WriteString("name", c.Name);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
