using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Detector.Modules.Images.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Integration;

[Collection(ApiCollection.Name)]
public sealed class DetectApiTests(DetectorApiFactory factory)
{
    /// <summary>MODELS.md's reference detections for yolox_nano_416 on samples/dog.jpg at 0.25 / 0.45.</summary>
    public static TheoryData<string, float, float, float, float, float> DogReference => new()
    {
        { "dog", 0.826f, 133, 207, 325, 542 },
        { "car", 0.810f, 467, 78, 692, 172 },
        { "bicycle", 0.807f, 46, 132, 572, 431 },
    };

    [Theory]
    [MemberData(nameof(DogReference))]
    public async Task Dog_photo_over_http_finds_the_reference_objects(string label, float score, float x1, float y1, float x2, float y2)
    {
        var (client, _) = await factory.CreateTenantClientAsync();
        using var response = await client.PostAsync("/v1/detect", DetectorApiFactory.ImageForm(BadImages.Dog, "dog.jpg"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement;

        Assert.Equal("yolox_nano_416", root.GetProperty("model").GetProperty("name").GetString());
        Assert.Equal(768, root.GetProperty("image").GetProperty("width").GetInt32());
        Assert.Equal(576, root.GetProperty("image").GetProperty("height").GetInt32());
        var match = root.GetProperty("detections").EnumerateArray().Where(d => d.GetProperty("label").GetString() == label)
            .OrderByDescending(d => d.GetProperty("score").GetSingle()).First();
        Assert.InRange(match.GetProperty("score").GetSingle(), score - 0.01f, score + 0.01f);
        var box = match.GetProperty("box").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        float[] expected = [x1, y1, x2, y2];
        for (var i = 0; i < 4; i++)
        {
            Assert.InRange(box[i], expected[i] - 3, expected[i] + 3);
        }

        Assert.Equal(16, root.GetProperty("detections").EnumerateArray().First(d => d.GetProperty("label").GetString() == "dog").GetProperty("class_id").GetInt32());
    }

    [Fact]
    public async Task Raw_body_upload_is_detected_stored_and_served_back()
    {
        var (client, tenantId) = await factory.CreateTenantClientAsync();
        var bytes = BadImages.Dog;
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var response = await client.PostAsync("/v1/detect?min_score=0.5&max_detections=2", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.Contains("X-Batch-Size"));
        using var posted = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = posted.RootElement;
        Assert.Contains(StoredImages.Of(root).Storage, new[] { "stored", "pending" });
        Assert.Equal(("stored", (string?)null), await StoredImages.SettledAsync(client, root.GetProperty("id").GetGuid()));
        var detections = root.GetProperty("detections").EnumerateArray().ToList();
        Assert.Equal(2, detections.Count);
        Assert.All(detections, d => Assert.True(d.GetProperty("score").GetSingle() >= 0.5f));
        var timings = root.GetProperty("timings");
        foreach (var name in new[] { "decode_ms", "queue_ms", "inference_ms", "postprocess_ms", "total_ms" })
        {
            Assert.True(timings.GetProperty(name).GetDouble() >= 0, name);
        }

        // What is stored is the upload without its metadata (dog.jpg carries some), under that content's hash.
        var copy = (byte[])bytes.Clone();
        var stripped = copy[..Detector.Modules.Images.Uploads.Metadata.MetadataStripper.Strip(copy)];
        Assert.True(stripped.Length < bytes.Length, "dog.jpg lost its metadata");
        var sha = Convert.ToHexStringLower(SHA256.HashData(stripped));
        Assert.Equal(sha, root.GetProperty("image").GetProperty("sha256").GetString());
        // Through the store, whichever backend is configured (the default keeps images in PostgreSQL).
        Assert.Equal(stripped, await factory.Services.GetRequiredService<IImageStore>().GetAsync(tenantId, sha, CancellationToken.None));

        var id = root.GetProperty("id").GetGuid();
        using var fetched = JsonDocument.Parse(await client.GetStringAsync($"/v1/results/{id}"));
        Assert.Equal(id, fetched.RootElement.GetProperty("id").GetGuid());
        Assert.Equal(root.GetProperty("detections").GetRawText(), fetched.RootElement.GetProperty("detections").GetRawText());
    }

    [Theory]
    [InlineData("picodet_s_320")]
    [InlineData("picodet_s_416")]
    [InlineData("nanodet_m_416")]
    [InlineData("yolox_nano_416")]
    public async Task Every_served_model_finds_the_dog(string model)
    {
        var (client, _) = await factory.CreateTenantClientAsync();
        using var response = await client.PostAsync($"/v1/detect?model={model}", DetectorApiFactory.ImageForm(BadImages.Dog));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(model, doc.RootElement.GetProperty("model").GetProperty("name").GetString());
        var labels = doc.RootElement.GetProperty("detections").EnumerateArray().Select(d => d.GetProperty("label").GetString()).ToList();
        Assert.Contains("dog", labels);
    }

    [Fact]
    public async Task Results_are_listed_newest_first_with_cursor_pages()
    {
        var (client, _) = await factory.CreateTenantClientAsync();
        var ids = new List<Guid>();
        foreach (var name in new[] { "dog.jpg", "horses.jpg", "person.jpg" })
        {
            using var response = await client.PostAsync("/v1/detect", DetectorApiFactory.ImageForm(File.ReadAllBytes(Path.Combine(TestPaths.Samples, name)), name));
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            ids.Add(doc.RootElement.GetProperty("id").GetGuid());
        }

        using var page1 = JsonDocument.Parse(await client.GetStringAsync("/v1/results?limit=2"));
        var first = page1.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToList();
        Assert.Equal([ids[2], ids[1]], first);
        var cursor = page1.RootElement.GetProperty("next_cursor").GetString();
        Assert.False(string.IsNullOrEmpty(cursor));

        using var page2 = JsonDocument.Parse(await client.GetStringAsync($"/v1/results?limit=2&cursor={Uri.EscapeDataString(cursor!)}"));
        var second = page2.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToList();
        Assert.Equal([ids[0]], second);
        Assert.Equal(JsonValueKind.Null, page2.RootElement.GetProperty("next_cursor").ValueKind);
    }

    [Fact]
    public async Task Models_endpoint_lists_all_four_models_with_versions()
    {
        var (client, _) = await factory.CreateTenantClientAsync();
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/v1/models"));
        var models = doc.RootElement.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!, m => m);
        Assert.Equal(["nanodet_m_416", "picodet_s_320", "picodet_s_416", "yolox_nano_416"], models.Keys.Order());
        Assert.True(models["yolox_nano_416"].GetProperty("is_default").GetBoolean());
        Assert.Equal("9dc044b5eef1", models["yolox_nano_416"].GetProperty("version").GetString());
    }
}
