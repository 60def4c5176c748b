using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Tests.Integration.Jobs;

namespace Detector.Tests.Integration.Labeling;

/// <summary>
/// The service over real HTTP on its own database, with the labeling sampler's timer running every
/// second on settled-at-once results and only the Feedback strategy on (every queued feedback's
/// result is enqueued; nothing else is).
/// </summary>
public sealed class LabelingFactory : JobsApiFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        new("Labeling:Sampler:IntervalSeconds", "1"),
        new("Labeling:Sampler:SettleSeconds", "0"),
        new("Labeling:Strategies:Feedback:Enabled", "true"),
        new("Labeling:Strategies:Feedback:Share", "1"),
        new("Labeling:Strategies:LowConfidence:Enabled", "false"),
        new("Labeling:Strategies:RareClass:Enabled", "false"),
        new("Labeling:Strategies:Random:Enabled", "false"),
        new("Labeling:Strategies:ShadowDisagreement:Enabled", "false"),
    ];

    /// <summary>A new tenant: its client and id.</summary>
    public async Task<(HttpClient Client, Guid Id)> TenantAsync(string name)
    {
        using var admin = Admin();
        using var response = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", body.GetProperty("api_key").GetString());
        return (client, body.GetProperty("id").GetGuid());
    }

    /// <summary>A new labeler (labeler or reviewer): its id and a client that sends its key.</summary>
    public async Task<(HttpClient Client, Guid Id)> LabelerAsync(string name, string role = "labeler")
    {
        using var admin = Admin();
        using var response = await admin.PostAsJsonAsync("/v1/admin/labelers", new { name, role });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Labeler-Key", body.GetProperty("labeler_key").GetString());
        return (client, body.GetProperty("id").GetGuid());
    }

    /// <summary>Asks for the labeler's next item until the sampler has enqueued one.</summary>
    public static async Task<JsonElement> NextItemAsync(HttpClient labeler, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using var response = await labeler.PostAsync("/v1/labeling/next", null);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return await response.Content.ReadFromJsonAsync<JsonElement>();
            }

            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            Assert.True(DateTime.UtcNow < deadline, $"No labeling item after {timeout}.");
            await Task.Delay(250);
        }
    }
}
