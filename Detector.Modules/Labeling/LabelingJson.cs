using System.Text.Json;

namespace Detector.Modules.Labeling;

/// <summary>The snake_case JSON the labeling tables keep their boxes and suggestions in (as the API shows them).</summary>
internal static class LabelingJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, Options)!;
}
