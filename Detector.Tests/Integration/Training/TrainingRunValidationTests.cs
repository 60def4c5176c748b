using System.Net;
using Detector.Modules.Common;
using static Detector.Tests.Integration.Training.TrainingKit;

namespace Detector.Tests.Integration.Training;

/// <summary>A training-run record is checked against the registry and the dataset versions before anything is stored.</summary>
[Collection("Jobs")]
public sealed class TrainingRunValidationTests(TrainingApiFactory factory) : IClassFixture<TrainingApiFactory>
{
    [Fact]
    public async Task A_run_that_names_an_unregistered_version_is_not_found()
    {
        using var admin = factory.Admin();
        using var response = await PostRunAsync(admin, Record("never-registered", Sha, Sha, Sha));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);
    }

    [Fact]
    public async Task A_run_whose_artifact_sha256_is_not_the_registered_versions_is_refused()
    {
        using var admin = factory.Admin();
        var seed = factory.SeedVersion;
        Assert.NotEqual(Sha, seed.Manifest.Sha256);

        using var response = await PostRunAsync(admin, Record(seed.Version, Sha, Sha, Sha));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnprocessableEntity, ErrorCodes.ArtifactMismatch);
        Assert.Contains(seed.Manifest.Sha256, problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("sha256:short")]
    [InlineData("md5:0123456789abcdef0123456789abcdef")]
    [InlineData("SHA256:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB")]
    public async Task A_run_with_a_malformed_image_digest_is_invalid(string digest)
    {
        using var admin = factory.Admin();
        var seed = factory.SeedVersion;
        var record = Record(seed.Version, seed.Manifest.Sha256, Sha, Sha);
        record["image_digest"] = digest;

        using var response = await PostRunAsync(admin, record);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        Assert.Contains("image_digest", problem.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_run_with_metrics_that_are_not_numbers_or_a_config_without_its_parts_is_invalid()
    {
        using var admin = factory.Admin();
        var seed = factory.SeedVersion;
        var words = Record(seed.Version, seed.Manifest.Sha256, Sha, Sha);
        words["metrics"] = new System.Text.Json.Nodes.JsonObject { ["val_map"] = "high" };
        using (var response = await PostRunAsync(admin, words))
        {
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        }

        var bare = Record(seed.Version, seed.Manifest.Sha256, Sha, Sha);
        bare["config"] = new System.Text.Json.Nodes.JsonObject { ["chosen"] = new System.Text.Json.Nodes.JsonObject() };
        using (var response = await PostRunAsync(admin, bare))
        {
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        }
    }

    [Fact]
    public async Task A_run_on_an_unknown_dataset_version_is_not_found_and_nothing_is_stored()
    {
        using var admin = factory.Admin();
        var seed = factory.SeedVersion;

        using var response = await PostRunAsync(admin, Record(seed.Version, seed.Manifest.Sha256, Sha, Sha));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, ErrorCodes.DatasetVersionNotFound);
        var list = System.Text.Json.Nodes.JsonNode.Parse(await admin.GetStringAsync($"/v1/admin/training-runs?model={TrainingApiFactory.Model}&version={seed.Version}"))!;
        Assert.Empty(list["runs"]!.AsArray());
    }

    [Fact]
    public async Task An_unknown_run_and_the_lineage_of_an_unknown_version_are_not_found()
    {
        using var admin = factory.Admin();
        using (var run = await admin.GetAsync($"/v1/admin/training-runs/{Guid.NewGuid()}"))
        {
            await ProblemAssert.IsProblemAsync(run, HttpStatusCode.NotFound, ErrorCodes.TrainingRunNotFound);
        }

        using (var lineage = await admin.GetAsync($"/v1/admin/models/{TrainingApiFactory.Model}/versions/nope/lineage"))
        {
            await ProblemAssert.IsProblemAsync(lineage, HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);
        }

        using (var model = await admin.GetAsync("/v1/admin/models/no-such-model/versions/v1/lineage"))
        {
            await ProblemAssert.IsProblemAsync(model, HttpStatusCode.NotFound, ErrorCodes.VersionNotFound);
        }
    }

    [Fact]
    public async Task Training_runs_need_the_admin_key()
    {
        using var tenant = await factory.NewTenantAsync("training-tenant");
        using var response = await tenant.GetAsync("/v1/admin/training-runs");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
