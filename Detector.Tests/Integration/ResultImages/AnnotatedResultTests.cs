using System.Net;
using System.Net.Http.Json;
using Detector.Modules.Common;
using Detector.Modules.Preprocessing;
using SkiaSharp;

namespace Detector.Tests.Integration.ResultImages;

[Collection(ApiCollection.Name)]
public sealed class AnnotatedResultTests(DetectorApiFactory factory)
{
    [Fact]
    public async Task The_annotated_png_is_the_stored_photo_with_each_box_edge_in_its_class_colour_and_the_etag_answers_304()
    {
        var (client, _) = await factory.CreateTenantClientAsync("annotated");
        var result = await StoredImages.SettledAsync(client, await StoredImages.DetectAsync(client, BadImages.Dog));
        var id = result.GetProperty("id").GetGuid();
        var detections = result.GetProperty("detections").EnumerateArray().ToList();
        Assert.NotEmpty(detections);

        using var response = await client.GetAsync($"/v1/results/{id}/annotated.png");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        using var annotated = SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(result.GetProperty("image").GetProperty("width").GetInt32(), annotated.Width);
        Assert.Equal(result.GetProperty("image").GetProperty("height").GetInt32(), annotated.Height);

        // The box drawn last is never drawn over: its left and bottom edges are its class's colour.
        var last = detections[^1];
        var box = last.GetProperty("box").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var colour = SkiaImageAnnotator.ColourOf(last.GetProperty("class_id").GetInt32());
        Assert.Equal(colour, annotated.GetPixel((int)MathF.Ceiling(box[0]), (int)((box[1] + box[3]) / 2)));
        Assert.Equal(colour, annotated.GetPixel((int)((box[0] + box[2]) / 2), (int)MathF.Floor(box[3]) - 1));

        using var again = new HttpRequestMessage(HttpMethod.Get, $"/v1/results/{id}/annotated.png");
        again.Headers.IfNoneMatch.ParseAdd(response.Headers.ETag!.ToString());
        using var notModified = await client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task The_jpeg_fits_max_side_and_another_tenant_or_a_bad_max_side_gets_a_problem()
    {
        var (client, _) = await factory.CreateTenantClientAsync("annotated-jpeg");
        var (other, _) = await factory.CreateTenantClientAsync("annotated-other");
        var result = await StoredImages.SettledAsync(client, await StoredImages.DetectAsync(client, BadImages.Dog));
        var id = result.GetProperty("id").GetGuid();

        using (var response = await client.GetAsync($"/v1/results/{id}/annotated.jpg?max_side=256"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
            using var small = SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(256, Math.Max(small.Width, small.Height));
        }

        using (var theirs = await other.GetAsync($"/v1/results/{id}/annotated.jpg"))
        {
            await ProblemAssert.IsProblemAsync(theirs, HttpStatusCode.NotFound, ErrorCodes.NotFound);
        }

        using (var tiny = await client.GetAsync($"/v1/results/{id}/annotated.jpg?max_side=3"))
        {
            await ProblemAssert.IsProblemAsync(tiny, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        }

        using (var garbage = await client.GetAsync($"/v1/results/{id}/annotated.jpg?max_side=99999999999999"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
        }
    }

    [Fact]
    public async Task A_plan_that_keeps_no_images_answers_404_image_not_stored()
    {
        var (client, tenantId) = await factory.CreateTenantClientAsync("annotated-no-store");
        using (var admin = factory.CreateAdminClient())
        using (var plan = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenantId}/plan", new { store_images = false }))
        {
            plan.EnsureSuccessStatusCode();
        }

        var answer = await StoredImages.DetectAsync(client, DistinctPhotos.Make([BadImages.Dog], 8)[7]);
        var id = answer.GetProperty("id").GetGuid();
        Assert.Equal("not_stored", StoredImages.Of(answer).Storage);

        using var response = await client.GetAsync($"/v1/results/{id}/annotated.jpg");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, ErrorCodes.ImageNotStored);
    }
}
