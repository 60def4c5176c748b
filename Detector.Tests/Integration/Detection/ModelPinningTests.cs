using System.Net;
using System.Text.Json;
using Detector.Modules.Common;
using Detector.Tests.Integration.Compliance;

namespace Detector.Tests.Integration.Detection;

/// <summary><c>model=name@version</c> over HTTP: the served version is honoured and named back; any other version is refused, never served by what is loaded.</summary>
[Collection("Jobs")]
public sealed class ModelPinningTests(ComplianceFactory factory) : IClassFixture<ComplianceFactory>
{
    [Fact]
    public async Task A_request_pinned_to_the_served_version_gets_it_and_a_pin_to_another_version_is_refused()
    {
        using var admin = factory.Admin();
        using var tenant = await TenantUsage.CreateAsync(factory, admin, "pinning", firstImage: -1);
        var models = JsonDocument.Parse(await tenant.Client.GetStringAsync("/v1/models")).RootElement.GetProperty("models");
        var yolox = models.EnumerateArray().Single(m => m.GetProperty("name").GetString() == "yolox_nano_416");
        var version = yolox.GetProperty("version").GetString()!;
        Assert.StartsWith(version, yolox.GetProperty("sha256").GetString(), StringComparison.Ordinal);
        Assert.Equal(64, yolox.GetProperty("sha256").GetString()!.Length);
        Assert.Equal("fp32", yolox.GetProperty("precision").GetString());
        var photo = DistinctPhotos.Make([await File.ReadAllBytesAsync(Jobs.JobsTestKit.CocoFiles[3])], 2);

        using (var pinned = await SendAsync(tenant.Client, $"/v1/detect?model=yolox_nano_416@{version}", photo[0]))
        {
            Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
            var model = JsonDocument.Parse(await pinned.Content.ReadAsStringAsync()).RootElement.GetProperty("model");
            Assert.Equal("yolox_nano_416", model.GetProperty("name").GetString());
            Assert.Equal(version, model.GetProperty("version").GetString());
        }

        using (var other = await SendAsync(tenant.Client, "/v1/detect?model=yolox_nano_416@000000000000", photo[1]))
        {
            await ProblemAssert.IsProblemAsync(other, HttpStatusCode.BadRequest, ErrorCodes.UnknownModel);
        }

        using (var malformed = await tenant.Client.PostAsync("/v1/detect?model=yolox_nano_416@a@b", DetectorApiFactory.ImageForm(photo[1])))
        {
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        }
    }

    /// <summary>Sends, waiting out overload refusals (other test classes load the same machine).</summary>
    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string url, byte[] photo)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await client.PostAsync(url, DetectorApiFactory.ImageForm(photo));
            if (response.StatusCode is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests) || attempt == 20)
            {
                return response;
            }

            await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
            response.Dispose();
        }
    }
}
