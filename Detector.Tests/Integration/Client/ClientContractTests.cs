using System.Reflection;
using System.Text.Json;
using Detector.Client;
using Refit;

namespace Detector.Tests.Integration.Client;

/// <summary>
/// Keeps Detector.Client in step with the service: every route the client calls is in the
/// service's own OpenAPI document (/swagger/v1/swagger.json), and every field of the client's
/// models is a field of that operation's answer, with the same snake_case name, all the way down.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ClientContractTests(DetectorApiFactory factory)
{
    [Fact]
    public async Task Every_route_the_client_calls_is_in_the_services_OpenAPI_document()
    {
        using var doc = await OpenApiAsync();
        var paths = doc.RootElement.GetProperty("paths");
        var calls = typeof(IDetectorApi).GetMethods().Select(m => m.GetCustomAttribute<HttpMethodAttribute>()!).ToList();
        Assert.Equal(9, calls.Count);
        Assert.All(calls, call =>
        {
            Assert.True(paths.TryGetProperty(call.Path, out var path), call.Path + " is documented");
            Assert.True(path.TryGetProperty(call.Method.Method.ToLowerInvariant(), out _), $"{call.Method} {call.Path} is documented");
        });
    }

    [Theory]
    [InlineData("/v1/detect", "post", "200", typeof(DetectionResult))]
    [InlineData("/v1/results/{id}", "get", "200", typeof(DetectionResult))]
    [InlineData("/v1/results", "get", "200", typeof(ResultPage))]
    [InlineData("/v1/jobs", "post", "202", typeof(JobAccepted))]
    [InlineData("/v1/jobs/{id}", "get", "200", typeof(Job))]
    [InlineData("/v1/jobs/{id}/results", "get", "200", typeof(JobResultPage))]
    public async Task Every_field_of_the_clients_model_is_in_the_documented_answer(string path, string method, string status, Type model)
    {
        using var doc = await OpenApiAsync();
        var schemas = doc.RootElement.GetProperty("components").GetProperty("schemas");
        var answer = doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses").GetProperty(status)
            .GetProperty("content").GetProperty("application/json").GetProperty("schema");
        var missing = new List<string>();
        Compare(model, answer, schemas, model.Name, missing, depth: 0);
        Assert.True(missing.Count == 0, "not in the service's answer: " + string.Join(", ", missing));
    }

    private static void Compare(Type model, JsonElement schema, JsonElement schemas, string where, List<string> missing, int depth)
    {
        Assert.True(depth < 8, "models nest no deeper than this");
        var resolved = Resolve(schema, schemas);
        if (ElementType(model) is { } element)
        {
            Assert.True(resolved.TryGetProperty("items", out var items), where + " is an array in the document");
            Compare(element, items, schemas, where + "[]", missing, depth + 1);
            return;
        }

        if (model.Namespace != typeof(DetectionResult).Namespace)
        {
            return; // a leaf: string, number, Guid, date
        }

        Assert.True(resolved.TryGetProperty("properties", out var properties), where + " is an object in the document");
        foreach (var property in model.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var name = JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);
            if (!properties.TryGetProperty(name, out var field))
            {
                missing.Add(where + "." + name);
                continue;
            }

            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            Compare(type, field, schemas, where + "." + name, missing, depth + 1);
        }
    }

    /// <summary>A $ref, or the referenced branch of a nullable oneOf/anyOf/allOf, as the schema it names.</summary>
    private static JsonElement Resolve(JsonElement schema, JsonElement schemas)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            return Resolve(schemas.GetProperty(reference.GetString()!.Split('/')[^1]), schemas);
        }

        foreach (var combinator in new[] { "oneOf", "anyOf", "allOf" })
        {
            if (schema.TryGetProperty(combinator, out var branches))
            {
                foreach (var branch in branches.EnumerateArray())
                {
                    if (branch.TryGetProperty("$ref", out _) || branch.TryGetProperty("properties", out _) || branch.TryGetProperty("items", out _))
                    {
                        return Resolve(branch, schemas);
                    }
                }
            }
        }

        return schema;
    }

    private static Type? ElementType(Type type) =>
        type == typeof(string) ? null
        : type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) ? type.GetGenericArguments()[0]
        : null;

    private async Task<JsonDocument> OpenApiAsync()
    {
        using var client = factory.CreateAnonymousClient();
        return JsonDocument.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"));
    }
}
