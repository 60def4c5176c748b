using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Detector.Tests.Integration;

[Collection(ApiCollection.Name)]
public sealed class OperationsTests(DetectorApiFactory factory)
{
    [Fact]
    public async Task Liveness_and_readiness_are_healthy_once_models_are_warm()
    {
        using var client = factory.CreateAnonymousClient();
        using var live = await client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_expose_http_inference_and_image_outcome_series()
    {
        var (tenant, _) = await factory.CreateTenantClientAsync();
        using (await tenant.PostAsync("/v1/detect", DetectorApiFactory.ImageForm(BadImages.Dog)))
        {
        }

        using var client = factory.CreateAnonymousClient();
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("http_request_duration_seconds", metrics, StringComparison.Ordinal);
        Assert.Contains("detector_inference_duration_seconds_bucket{model=\"yolox_nano_416\"", metrics, StringComparison.Ordinal);
        Assert.Contains("detector_images_total{model=\"yolox_nano_416\",outcome=\"ok\",version=\"", metrics, StringComparison.Ordinal);
        Assert.Contains("detector_batch_size", metrics, StringComparison.Ordinal);
        Assert.Contains("detector_queue_depth", metrics, StringComparison.Ordinal);
        Assert.Contains("detector_tensor_buffers_allocated_total{model=\"yolox_nano_416\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Detection_emits_a_detect_span_with_preprocess_inference_and_postprocess_children()
    {
        var stopped = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Detector",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Add,
        };
        ActivitySource.AddActivityListener(listener);

        var (tenant, _) = await factory.CreateTenantClientAsync();
        using (var response = await tenant.PostAsync("/v1/detect?model=picodet_s_320", DetectorApiFactory.ImageForm(BadImages.Dog)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var detect = stopped.First(a => a.OperationName == "detect" && (string?)a.GetTagItem("detector.model") == "picodet_s_320");
        var children = stopped.Where(a => a.ParentSpanId == detect.SpanId).Select(a => a.OperationName).Order().ToList();
        Assert.Equal(["inference", "postprocess", "preprocess"], children);
        Assert.NotNull(detect.GetTagItem("detector.batch_size"));
    }

    [Fact]
    public async Task Swagger_documents_every_endpoint_with_its_errors()
    {
        using var client = factory.CreateAnonymousClient();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"));
        var paths = doc.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/v1/detect", "/v1/results", "/v1/results/{id}", "/v1/models", "/v1/admin/tenants" })
        {
            Assert.True(paths.TryGetProperty(path, out _), path + " is documented");
        }

        var detect = paths.GetProperty("/v1/detect").GetProperty("post");
        Assert.Equal("DetectObjects", detect.GetProperty("operationId").GetString());
        foreach (var status in new[] { "200", "400", "401", "413", "415", "422", "503" })
        {
            Assert.True(detect.GetProperty("responses").TryGetProperty(status, out _), "detect documents " + status);
        }

        var example = detect.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("example");
        Assert.Equal("dog", example.GetProperty("detections")[0].GetProperty("label").GetString());

        using var ui = await client.GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
    }
}
