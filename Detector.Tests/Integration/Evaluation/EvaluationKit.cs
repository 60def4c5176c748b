using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Detector.Tests.Integration.Models;

namespace Detector.Tests.Integration.Evaluation;

/// <summary>Evaluation jobs through the admin API, for the tests that run them against a service process.</summary>
internal static class EvaluationKit
{
    public static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);

    public static Dictionary<string, string> Settings(string datasetRoot, string model) => new()
    {
        ["Evaluation__DatasetRoot"] = datasetRoot,
        ["Evaluation__Concurrency"] = "1",
        ["Models__Enabled__0"] = model,
        ["Models__Default"] = model,
    };

    public static async Task<JsonNode> RunAsync(HttpClient admin, string model, string annotations, string images) =>
        await WaitAsync(admin, await StartAsync(admin, model, annotations, images));

    public static async Task<Guid> StartAsync(HttpClient admin, string model, string annotations, string images)
    {
        using var response = await admin.PostAsJsonAsync("/v1/admin/evaluations", new { model, annotations, images });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        return JsonNode.Parse(body)!["id"]!.GetValue<Guid>();
    }

    /// <summary>Waits for the evaluation to end, asserts it succeeded, and answers its report.</summary>
    public static async Task<JsonNode> WaitAsync(HttpClient admin, Guid id)
    {
        JsonNode evaluation = null!;
        await RegistryKit.EventuallyAsync(async () => (evaluation = await GetAsync(admin, id))["state"]!.GetValue<string>() is "succeeded" or "failed", Bound, $"evaluation {id} ends");
        Assert.True(evaluation["state"]!.GetValue<string>() == "succeeded", evaluation.ToJsonString());
        return evaluation["report"]!;
    }

    public static async Task<JsonNode> GetAsync(HttpClient admin, Guid id) =>
        JsonNode.Parse(await admin.GetStringAsync($"/v1/admin/evaluations/{id}"))!;
}
