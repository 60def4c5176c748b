using System.Text.Json;
using System.Text.Json.Nodes;

namespace Detector.Modules.Training.Runs;

/// <summary>
/// What a trainer records of one run (issue 26): the version it produced and that artifact's
/// sha256, the dataset version it trained on and the sha256 of the export it read, its
/// configuration (the search space and the values chosen), seed, code version, container image
/// digest and metrics. <see cref="Canonical"/> is the record in canonical JSON (snake_case names,
/// <see cref="CanonicalJson"/>) and <see cref="Sha256"/> its hash: the record's identity.
/// </summary>
internal sealed record TrainingRunRecord(
    string Model,
    string Version,
    string ArtifactSha256,
    string DatasetVersion,
    string ExportSha256,
    JsonElement SearchSpace,
    JsonElement Chosen,
    long Seed,
    string CodeVersion,
    string ImageDigest,
    JsonElement Metrics)
{
    public string Canonical => CanonicalJson.Write(ToJson());

    public string Sha256 => CanonicalJson.Sha256(Canonical);

    public JsonElement Config => JsonSerializer.SerializeToElement(new JsonObject
    {
        ["chosen"] = JsonNode.Parse(Chosen.GetRawText()),
        ["search_space"] = JsonNode.Parse(SearchSpace.GetRawText()),
    });

    /// <summary>The record as the trainer posts it (the body of POST /v1/admin/training-runs).</summary>
    public JsonElement ToJson() => JsonSerializer.SerializeToElement(new JsonObject
    {
        ["model"] = Model,
        ["version"] = Version,
        ["artifact_sha256"] = ArtifactSha256,
        ["dataset_version"] = DatasetVersion,
        ["export_sha256"] = ExportSha256,
        ["config"] = JsonNode.Parse(Config.GetRawText()),
        ["seed"] = Seed,
        ["code_version"] = CodeVersion,
        ["image_digest"] = ImageDigest,
        ["metrics"] = JsonNode.Parse(Metrics.GetRawText()),
    });
}
