using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Tests.Integration.Jobs;

namespace Detector.Tests.Integration;

/// <summary>
/// The degradation ladder in the real service: under a burst, sync requests for PicoDet-416 are
/// served by its configured stand-ins and say so (header, field, metrics); once the backlog is
/// gone and has stayed gone, the full model serves again.
/// </summary>
public sealed class DegradationTests : IAsyncLifetime
{
    private readonly DetectorApiFactory _factory = new();

    public async Task InitializeAsync()
    {
        _factory.Overrides["Models:Enabled:0"] = "picodet_s_416";
        _factory.Overrides["Models:Enabled:1"] = "picodet_s_320";
        _factory.Overrides["Models:Enabled:2"] = "yolox_nano_416";
        _factory.Overrides["Models:Default"] = "yolox_nano_416";
        _factory.Overrides["Inference:Degradation:Enabled"] = "true";
        _factory.Overrides["Inference:Degradation:CompressedAt"] = "0.03";
        _factory.Overrides["Inference:Degradation:LowerResolutionAt"] = "0.05";
        _factory.Overrides["Inference:Degradation:FasterModelAt"] = "0.3";
        _factory.Overrides["Inference:Degradation:ReleaseAfterMs"] = "300";
        await _factory.InitializeAsync();
    }

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    [Fact]
    public async Task A_burst_is_served_by_the_configured_stand_ins_announced_in_header_body_and_metrics_and_the_full_model_returns_after()
    {
        var (client, _) = await _factory.CreateTenantClientAsync();
        // Every request a distinct photo: repeats would be answered by the result cache, with no backlog to step down for.
        var photos = DistinctPhotos.Make([.. JobsTestKit.CocoFiles.Take(8).Select(File.ReadAllBytes)], 80);

        // One alone first: the full model serves a request that finds no backlog.
        var first = await DetectAsync(client, photos[0]);
        Assert.Equal("picodet_s_416", first.Body.GetProperty("model").GetProperty("name").GetString());
        var pinned = "picodet_s_416@" + first.Body.GetProperty("model").GetProperty("version").GetString();

        // Every fourth request of the burst opts out: allow_degradation=false, or every other time a
        // pinned version (model=name@version), which is that version or a refusal all the same.
        var answers = new List<(HttpStatusCode Status, string? Header, JsonElement Body)>();
        var optedOut = new List<(HttpStatusCode Status, string? Header, JsonElement Body)>();
        for (var round = 0; round < 3; round++)
        {
            var burst = await Task.WhenAll(Enumerable.Range(0, 24).Select(async i => (OptOut: i % 4 == 3, Answer: i % 8 == 7
                ? await DetectAsync(client, photos[3 + (round * 24) + i], model: pinned)
                : await DetectAsync(client, photos[3 + (round * 24) + i], allowDegradation: i % 4 != 3))));
            answers.AddRange(burst.Where(b => !b.OptOut).Select(b => b.Answer));
            optedOut.AddRange(burst.Where(b => b.OptOut).Select(b => b.Answer));
        }

        // Some were served while the ladder stood in for others: the opt-out path ran, not only refusals.
        Assert.Contains(optedOut, a => a.Status == HttpStatusCode.OK);
        Assert.All(optedOut, a =>
        {
            Assert.Null(a.Header);
            Assert.True(a.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests, a.Status.ToString());
            if (a.Status == HttpStatusCode.OK)
            {
                Assert.Equal("picodet_s_416", a.Body.GetProperty("model").GetProperty("name").GetString());
                Assert.Equal(JsonValueKind.Null, a.Body.GetProperty("degradation").ValueKind);
            }
        });

        Assert.All(answers, a => Assert.True(a.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests, a.Status.ToString()));
        var degraded = answers.Where(a => a.Header is not null).ToList();
        Assert.NotEmpty(degraded);
        Assert.All(degraded, a =>
        {
            var rung = a.Body.GetProperty("degradation").GetProperty("rung").GetString();
            Assert.Equal(a.Header, rung);
            Assert.Equal("picodet_s_416", a.Body.GetProperty("degradation").GetProperty("requested_model").GetString());
            var served = a.Body.GetProperty("model").GetProperty("name").GetString();
            Assert.Equal(rung == "lower_resolution" ? "picodet_s_320" : "yolox_nano_416", served);
        });
        Assert.All(answers.Where(a => a.Status == HttpStatusCode.OK && a.Header is null), a =>
        {
            Assert.Equal("picodet_s_416", a.Body.GetProperty("model").GetProperty("name").GetString());
            Assert.Equal(JsonValueKind.Null, a.Body.GetProperty("degradation").ValueKind);
        });

        // The backlog is gone; after the hold the ladder is back at the full model.
        await Task.Delay(1000);
        await DetectAsync(client, photos[1]);
        await Task.Delay(500);
        var after = await DetectAsync(client, photos[2]);
        Assert.Null(after.Header);
        Assert.Equal("picodet_s_416", after.Body.GetProperty("model").GetProperty("name").GetString());

        using var anonymous = _factory.CreateAnonymousClient();
        var metrics = await anonymous.GetStringAsync("/metrics");
        Assert.Contains("detector_degradation_served_total{requested_model=\"picodet_s_416\",rung=\"" + degraded[0].Header + "\"}", metrics, StringComparison.Ordinal);
        // The level gauge is one per process, and other test hosts run beside this one: its presence only.
        Assert.Contains("\ndetector_degradation_level ", metrics, StringComparison.Ordinal);
    }

    private static async Task<(HttpStatusCode Status, string? Header, JsonElement Body)> DetectAsync(HttpClient client, byte[] photo, bool allowDegradation = true, string model = "picodet_s_416")
    {
        using var content = new ByteArrayContent(photo);
        content.Headers.ContentType = new("image/jpeg");
        using var response = await client.PostAsync($"/v1/detect?model={model}" + (allowDegradation ? "" : "&allow_degradation=false"), content);
        var header = response.Headers.TryGetValues("X-Degradation", out var values) ? values.Single() : null;
        return (response.StatusCode, header, await response.Content.ReadFromJsonAsync<JsonElement>());
    }
}
