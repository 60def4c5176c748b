using System.Net;
using Detector.Modules.Common;

namespace Detector.Tests.Integration;

/// <summary>A service with a tiny queue under a burst: every answer is a 200 or a 503 with Retry-After.</summary>
public sealed class OverloadTests : IAsyncLifetime
{
    private readonly DetectorApiFactory _factory = new();

    public async Task InitializeAsync()
    {
        _factory.Overrides["Models:Enabled:0"] = "yolox_nano_416";
        _factory.Overrides["Inference:QueueCapacity"] = "2";
        _factory.Overrides["Inference:MaxBatchSize"] = "2";
        await _factory.InitializeAsync();
    }

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    [Fact]
    public async Task A_burst_beyond_capacity_gets_503_with_retry_after_and_nothing_else()
    {
        var (client, _) = await _factory.CreateTenantClientAsync();
        var image = BadImages.Dog;
        var responses = await Task.WhenAll(Enumerable.Range(0, 24).Select(async _ =>
        {
            using var response = await client.PostAsync("/v1/detect", DetectorApiFactory.ImageForm(image));
            var retryAfter = response.Headers.RetryAfter?.Delta;
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable, ErrorCodes.Overloaded);
            }

            return (response.StatusCode, retryAfter);
        }));

        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, r.StatusCode.ToString()));
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.ServiceUnavailable);
        Assert.All(responses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable), r => Assert.InRange(r.retryAfter!.Value.TotalSeconds, 1, 60));

        // Afterwards the service serves normally again.
        using var after = await client.PostAsync("/v1/detect", DetectorApiFactory.ImageForm(image));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}
