using System.Text.Json;
using Detector.Modules.Datasets.Canonical;

namespace Detector.Modules.Datasets.Storage;

/// <summary>An entry's boxes as stored: <c>[["class", x, y, w, h, iscrowd], ...]</c>.</summary>
internal static class EntryJson
{
    public static string Write(IReadOnlyList<EntryBox> boxes)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var box in boxes)
            {
                json.WriteStartArray();
                json.WriteStringValue(box.Label);
                json.WriteNumberValue(box.X);
                json.WriteNumberValue(box.Y);
                json.WriteNumberValue(box.Width);
                json.WriteNumberValue(box.Height);
                json.WriteNumberValue(box.IsCrowd ? 1 : 0);
                json.WriteEndArray();
            }

            json.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static List<EntryBox> Read(string text)
    {
        using var document = JsonDocument.Parse(text);
        return [.. document.RootElement.EnumerateArray().Select(b => new EntryBox(
            b[0].GetString()!, b[1].GetDouble(), b[2].GetDouble(), b[3].GetDouble(), b[4].GetDouble(), b[5].GetInt32() != 0))];
    }

    public static string WriteClasses(IReadOnlyList<DatasetClass> classes) =>
        JsonSerializer.Serialize(classes.Select(c => new { id = c.Id, name = c.Name }));

    public static List<DatasetClass> ReadClasses(string text)
    {
        using var document = JsonDocument.Parse(text);
        return [.. document.RootElement.EnumerateArray().Select(c => new DatasetClass(c.GetProperty("id").GetInt32(), c.GetProperty("name").GetString()!)).OrderBy(c => c.Id)];
    }
}
