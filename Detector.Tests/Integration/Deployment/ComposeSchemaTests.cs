using System.Text.Json.Nodes;

namespace Detector.Tests.Integration.Deployment;

/// <summary>
/// The compose files pass the compose-spec schema (vendored in deploy/compose/schema), alone and
/// with the GPU override merged, as written and interpolated; the same check rejects broken copies
/// and names where they break. No Docker engine runs here, so this stands in for
/// <c>docker compose config</c>.
/// </summary>
public sealed class ComposeSchemaTests
{
    public static TheoryData<string, bool> ComposeFiles() => new()
    {
        // Interpolated, as compose validates: this schema's integers (replicas) take no ${VAR} text.
        { "docker-compose.yml", true },
        { "docker-compose.gpu.yml", true },
    };

    [Theory]
    [MemberData(nameof(ComposeFiles))]
    public void The_compose_file_passes_the_compose_spec_schema(string file, bool interpolated)
    {
        var document = ComposeSchema.LoadFile(file, interpolated);

        Assert.NotNull(document["services"]?["detector"]);
        Assert.Empty(ComposeSchema.Validate(document));
    }

    [Theory]
    [InlineData(true)]
    public void The_GPU_override_merged_over_the_compose_file_passes_the_schema_and_reserves_the_GPU(bool interpolated)
    {
        var merged = ComposeSchema.Merge(ComposeSchema.LoadFile("docker-compose.yml", interpolated), ComposeSchema.LoadFile("docker-compose.gpu.yml", interpolated));

        Assert.Empty(ComposeSchema.Validate(merged));
        var detector = merged["services"]!["detector"]!;
        Assert.Equal("Cuda", detector["environment"]!["Inference__Provider"]!.GetValue<string>());
        Assert.Equal("nvidia", detector["deploy"]!["resources"]!["reservations"]!["devices"]![0]!["driver"]!.GetValue<string>());
        // The merge kept the base file's settings beside the override's.
        Assert.NotNull(detector["environment"]!["Tenancy__AdminApiKey"]);
        Assert.NotNull(detector["deploy"]!["replicas"]);
    }

    [Fact]
    public void The_schema_check_rejects_a_wrong_type_and_an_unknown_service_key_and_names_where()
    {
        var document = ComposeSchema.LoadFile("docker-compose.yml", interpolate: true);
        Assert.Empty(ComposeSchema.Validate(document));

        var wrongType = document.DeepClone();
        wrongType["services"]!["proxy"]!["ports"] = "abc";
        var unknownKey = document.DeepClone();
        unknownKey["services"]!["detector"]!["imagee"] = "detector:local";

        Assert.Contains(ComposeSchema.Validate(wrongType), f => f.StartsWith("/services/proxy/ports: ", StringComparison.Ordinal));
        Assert.All(ComposeSchema.Validate(wrongType), f => Assert.StartsWith("/services/proxy/ports", f, StringComparison.Ordinal));
        Assert.Equal(["/services/detector/imagee: All values fail against the false schema"], ComposeSchema.Validate(unknownKey));
    }

    [Fact]
    public void A_broken_compose_text_is_rejected_as_loaded_from_YAML()
    {
        const string Broken = """
            services:
              detector:
                image: detector:local
                ports: abc
            volumez:
              data:
            """;

        var failures = ComposeSchema.Validate(ComposeSchema.Load(Broken, interpolate: false));

        Assert.Contains(failures, f => f.StartsWith("/services/detector/ports: ", StringComparison.Ordinal));
        Assert.Contains("/volumez: All values fail against the false schema", failures);
        Assert.Equal(2, failures.Count);
    }

    [Fact]
    public void The_schema_is_the_compose_spec_with_its_apache_licence()
    {
        var schema = JsonNode.Parse(File.ReadAllText(ComposeSchema.SchemaFile))!;
        // The package carries the spec repository as it was, LICENSE at its root (src/compose-spec).
        var licence = File.ReadAllText(Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(ComposeSchema.SchemaFile))!, "LICENSE"));

        Assert.Equal("Compose Specification", schema["title"]!.GetValue<string>());
        Assert.False(schema["definitions"]!["service"]!["additionalProperties"]!.GetValue<bool>());
        Assert.Contains("Apache License", licence, StringComparison.Ordinal);
        Assert.Contains("Version 2.0", licence, StringComparison.Ordinal);
    }
}
