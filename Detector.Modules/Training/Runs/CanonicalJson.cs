using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Detector.Modules.Training.Runs;

/// <summary>
/// The one byte form of a JSON value a hash is taken over: object members sorted by name
/// (ordinal), no whitespace, integral numbers as integers and others in the shortest form that
/// reads back to the same double, strings with only the escapes JSON requires. Two documents that
/// mean the same record hash the same, whatever order or spacing the trainer wrote.
/// </summary>
internal static class CanonicalJson
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static string Write(JsonElement value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            Write(writer, value);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string Sha256(string canonical) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));

    private static void Write(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    Write(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.Number:
                WriteNumber(writer, value);
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(value.GetString());
                break;
            default: // true, false, null
                value.WriteTo(writer);
                break;
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, JsonElement value)
    {
        if (value.TryGetInt64(out var integer))
        {
            writer.WriteNumberValue(integer);
            return;
        }

        if (!value.TryGetDouble(out var number))
        {
            value.WriteTo(writer); // beyond a double: kept as written
            return;
        }

        if (Math.Abs(number) < 9e15 && number == Math.Floor(number))
        {
            writer.WriteNumberValue((long)number); // 3.0 and 3 are the same number
        }
        else
        {
            writer.WriteNumberValue(number);
        }
    }
}
