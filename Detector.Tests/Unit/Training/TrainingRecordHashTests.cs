using System.Text.Json;
using Detector.Modules.Training.RecordTrainingRun;
using Detector.Modules.Training.Runs;

namespace Detector.Tests.Unit.Training;

/// <summary>
/// A training-run record's identity is the sha256 of its canonical JSON: the same for any member
/// order, spacing or way of writing a number, different for any change of a value, and the same
/// bytes Python's json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
/// writes for the handoff's template (docs/training-handoff.md).
/// </summary>
public sealed class TrainingRecordHashTests
{
    /// <summary>The template of docs/training-handoff.md.</summary>
    private const string Template = """
        {
          "model": "yolox_nano_416",
          "version": "ft-20261207",
          "artifact_sha256": "9dc044b5eef13d66659056049cb1b970aaac7dd7a0b72381b00fa7b1d9a83c01",
          "dataset_version": "3f1d0c6a5b2e4d7f8a9b0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f7",
          "export_sha256": "b7e23ec29af22b0b4e41da31e868d57226121c84e0fb4e2cd1f7b0f9f1c6a1a2",
          "config": {
            "search_space": { "lr": [0.001, 0.01], "epochs": [50, 100], "augment": ["mosaic", "none"] },
            "chosen": { "lr": 0.01, "epochs": 100, "augment": "mosaic" }
          },
          "seed": 42,
          "code_version": "git:4c1e2f0a9d8b7c6e5f4a3b2c1d0e9f8a7b6c5d4e",
          "image_digest": "sha256:1e3b4c5d6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80912",
          "metrics": { "val_map": 0.331, "val_ap50": 0.502, "train_loss": 1.25, "epochs_run": 100 }
        }
        """;

    /// <summary>What Python writes for the template (sort_keys, no spaces) and its sha256.</summary>
    private const string PythonCanonical = """{"artifact_sha256":"9dc044b5eef13d66659056049cb1b970aaac7dd7a0b72381b00fa7b1d9a83c01","code_version":"git:4c1e2f0a9d8b7c6e5f4a3b2c1d0e9f8a7b6c5d4e","config":{"chosen":{"augment":"mosaic","epochs":100,"lr":0.01},"search_space":{"augment":["mosaic","none"],"epochs":[50,100],"lr":[0.001,0.01]}},"dataset_version":"3f1d0c6a5b2e4d7f8a9b0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f7","export_sha256":"b7e23ec29af22b0b4e41da31e868d57226121c84e0fb4e2cd1f7b0f9f1c6a1a2","image_digest":"sha256:1e3b4c5d6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80912","metrics":{"epochs_run":100,"train_loss":1.25,"val_ap50":0.502,"val_map":0.331},"model":"yolox_nano_416","seed":42,"version":"ft-20261207"}""";

    private const string PythonSha256 = "0602a0cdb5eddc1a80b17680516e0acc9d5feac57613d841d023fc761e5ab08f";

    private static readonly JsonSerializerOptions Api = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    [Fact]
    public void The_templates_canonical_record_and_hash_are_the_bytes_python_writes()
    {
        var record = Parse(Template);

        Assert.Equal(PythonCanonical, record.Canonical);
        Assert.Equal(PythonSha256, record.Sha256);
    }

    [Fact]
    public void Member_order_spacing_and_the_way_a_number_is_written_do_not_change_the_hash()
    {
        var rewritten = """
            {"metrics":{"epochs_run":100.0,"train_loss":125e-2,"val_ap50":0.5020,"val_map":0.331},"seed":42,"model":"yolox_nano_416",
             "image_digest":"sha256:1e3b4c5d6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80912","version":"ft-20261207",
             "config":{"chosen":{"epochs":1e2,"augment":"mosaic","lr":0.01},"search_space":{"epochs":[50,100],"lr":[0.001,0.01],"augment":["mosaic","none"]}},
             "code_version":"git:4c1e2f0a9d8b7c6e5f4a3b2c1d0e9f8a7b6c5d4e",
             "export_sha256":"b7e23ec29af22b0b4e41da31e868d57226121c84e0fb4e2cd1f7b0f9f1c6a1a2",
             "dataset_version":"3f1d0c6a5b2e4d7f8a9b0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f7",
             "artifact_sha256":"9dc044b5eef13d66659056049cb1b970aaac7dd7a0b72381b00fa7b1d9a83c01"}
            """;

        Assert.Equal(PythonSha256, Parse(rewritten).Sha256);
    }

    [Theory]
    [InlineData("\"export_sha256\": \"b7e2", "\"export_sha256\": \"c7e2")]
    [InlineData("\"seed\": 42", "\"seed\": 43")]
    [InlineData("\"val_map\": 0.331", "\"val_map\": 0.3311")]
    [InlineData("\"lr\": [0.001, 0.01]", "\"lr\": [0.01, 0.001]")]
    [InlineData("sha256:1e3b", "sha256:2e3b")]
    public void Any_changed_value_changes_the_hash(string from, string to)
    {
        var changed = Template.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(Template, changed);

        Assert.NotEqual(PythonSha256, Parse(changed).Sha256);
    }

    [Fact]
    public void Strings_keep_their_characters_and_only_the_escapes_json_requires()
    {
        using var document = JsonDocument.Parse("""{"b":"caf\u00e9 <tag> & \"q\"","a":[true,null,-0.5]}""");

        Assert.Equal("""{"a":[true,null,-0.5],"b":"café <tag> & \"q\""}""", CanonicalJson.Write(document.RootElement));
    }

    private static TrainingRunRecord Parse(string json) => JsonSerializer.Deserialize<RecordTrainingRunRequest>(json, Api)!.ToRecord();
}
