using System.Net;
using Detector.Modules.Common;

namespace Detector.Tests.Integration.Labeling;

/// <summary>Random labeler keys from one client: refused by lookup up to the limit, then refused without one (429 with Retry-After).</summary>
[Collection("Jobs")]
public sealed class LabelerKeyGuessingTests(LabelingFactory factory) : IClassFixture<LabelingFactory>
{
    [Fact]
    public async Task A_client_sending_random_labeler_keys_gets_401_then_429_rate_limited_with_retry_after()
    {
        using var client = factory.CreateClient();
        var refusals = new List<HttpStatusCode>();
        for (var i = 0; i < 25; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/labeling/next");
            request.Headers.Add("X-Labeler-Key", "dkl_" + Guid.NewGuid().ToString("N"));
            using var response = await client.SendAsync(request);
            refusals.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await ProblemAssert.IsProblemAsync(response, HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
                Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "a throttled guesser is told when to come back");
            }
        }

        // The default limit is 20 unknown keys a minute per address.
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 20).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 5)), refusals);
    }
}
