using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Detector.Tests.Integration;

/// <summary>
/// A sync result's image may be stored after the answer (<c>image.storage</c> is <c>pending</c>;
/// ADR 0016). Tests that look at the store afterwards wait for the result to say where it stands.
/// </summary>
internal static class StoredImages
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>The result's image state once it is no longer pending: (storage, not_stored_reason).</summary>
    public static async Task<(string Storage, string? Reason)> SettledAsync(HttpClient client, Guid resultId)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Bound.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            using var response = await client.GetAsync($"/v1/results/{resultId}");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                // The polls count against the tenant's rate like any request.
                Assert.True(Stopwatch.GetTimestamp() < deadline, $"result {resultId}: rate limited for {Bound.TotalSeconds} s");
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                continue;
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var (storage, reason) = Of(body.RootElement);
            if (storage != "pending")
            {
                return (storage, reason);
            }

            Assert.True(Stopwatch.GetTimestamp() < deadline, $"result {resultId}: its image was still pending after {Bound.TotalSeconds} s");
            await Task.Delay(20);
        }
    }

    /// <summary>The answer itself when settled, else the result fetched again once it is.</summary>
    public static async Task<JsonElement> SettledAsync(HttpClient client, JsonElement answer)
    {
        if (Of(answer).Storage != "pending")
        {
            return answer;
        }

        await SettledAsync(client, answer.GetProperty("id").GetGuid());
        return JsonDocument.Parse(await client.GetStringAsync($"/v1/results/{answer.GetProperty("id").GetGuid()}")).RootElement.Clone();
    }

    /// <summary>The answer as sent, pending or not (a 503 from classes running alongside is retried).</summary>
    public static async Task<JsonElement> DetectAsync(HttpClient client, byte[] photo, string? idempotencyKey = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = DetectorApiFactory.ImageForm(photo) };
            if (idempotencyKey is not null)
            {
                request.Headers.Add("Idempotency-Key", idempotencyKey);
            }

            using var response = await client.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 20)
            {
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                continue;
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }
    }

    public static (string Storage, string? Reason) Of(JsonElement result)
    {
        var image = result.GetProperty("image");
        var storage = image.GetProperty("storage").GetString()!;
        var reason = image.TryGetProperty("not_stored_reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
        return (storage, reason);
    }
}
