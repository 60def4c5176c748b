using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Detector.Modules.Common;

namespace Detector.Tests.Integration;

/// <summary>Every bad input gets its 4xx problem+json with a stable code, and the service stays up.</summary>
[Collection(ApiCollection.Name)]
public sealed class BadInputTests(DetectorApiFactory factory)
{
    public static TheoryData<string, HttpStatusCode, string> MultipartCases => new()
    {
        { "zero_bytes", HttpStatusCode.BadRequest, ErrorCodes.EmptyBody },
        { "text_named_jpg", HttpStatusCode.UnsupportedMediaType, ErrorCodes.UnsupportedImageFormat },
        { "truncated_jpeg", HttpStatusCode.UnprocessableEntity, ErrorCodes.CorruptImage },
        { "png_100000x100000", HttpStatusCode.RequestEntityTooLarge, ErrorCodes.ImageTooLarge },
        { "30_mb_upload", HttpStatusCode.RequestEntityTooLarge, ErrorCodes.PayloadTooLarge },
        { "tiff", HttpStatusCode.UnsupportedMediaType, ErrorCodes.UnsupportedImageFormat },
        { "svg", HttpStatusCode.UnsupportedMediaType, ErrorCodes.UnsupportedImageFormat },
    };

    // The service refuses an oversized upload from its Content-Length, before reading it, and
    // closes the connection; a client that does not wait for 100-continue only sees a broken pipe.
    private async Task<HttpClient> ClientForAsync(string name)
    {
        var (client, _) = await factory.CreateTenantClientAsync();
        client.DefaultRequestHeaders.ExpectContinue = name == "30_mb_upload";
        return client;
    }

    private static byte[] Payload(string name) => name switch
    {
        "zero_bytes" => [],
        "text_named_jpg" => BadImages.Text,
        "truncated_jpeg" => BadImages.TruncatedJpeg,
        "png_100000x100000" => BadImages.PngBomb,
        "30_mb_upload" => BadImages.Oversized,
        "tiff" => BadImages.Tiff,
        "svg" => BadImages.Svg,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(MultipartCases))]
    public async Task Bad_multipart_upload_gets_a_problem_and_the_service_stays_up(string name, HttpStatusCode status, string code)
    {
        using var client = await ClientForAsync(name);
        using (var response = await client.PostAsync("/v1/detect", DetectorApiFactory.ImageForm(Payload(name), name + ".jpg")))
        {
            await ProblemAssert.IsProblemAsync(response, status, code);
        }

        await AssertStillServingAsync(client);
    }

    [Theory]
    [MemberData(nameof(MultipartCases))]
    public async Task Bad_raw_upload_gets_a_problem_and_the_service_stays_up(string name, HttpStatusCode status, string code)
    {
        using var client = await ClientForAsync(name);
        using var content = new ByteArrayContent(Payload(name));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using (var response = await client.PostAsync("/v1/detect", content))
        {
            await ProblemAssert.IsProblemAsync(response, status, code);
        }

        await AssertStillServingAsync(client);
    }

    [Fact]
    public async Task Empty_body_without_content_type_is_a_400()
    {
        var (client, _) = await factory.CreateTenantClientAsync();
        using var response = await client.PostAsync("/v1/detect", null);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.EmptyBody);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/json")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Wrong_content_type_is_a_415(string contentType)
    {
        var (client, _) = await factory.CreateTenantClientAsync();
        using var content = new ByteArrayContent(BadImages.Dog);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var response = await client.PostAsync("/v1/detect", content);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnsupportedMediaType, ErrorCodes.UnsupportedMediaType);
        await AssertStillServingAsync(client);
    }

    [Fact]
    public async Task Multipart_without_an_image_field_is_a_400()
    {
        var (client, _) = await factory.CreateTenantClientAsync();
        using var response = await client.PostAsync("/v1/detect", DetectorApiFactory.ImageForm(BadImages.Dog, field: "photo"));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.MissingImageField);
    }

    [Theory]
    [InlineData("min_score=2")]
    [InlineData("min_score=-0.1")]
    [InlineData("iou=1.5")]
    [InlineData("max_detections=0")]
    [InlineData("max_detections=100000")]
    [InlineData("min_score=abc")]
    [InlineData("max_detections=1.5")]
    [InlineData("allow_degradation=perhaps")]
    [InlineData("model=..%2Fetc")]
    public async Task Out_of_range_or_malformed_options_are_a_400(string query)
    {
        var (client, _) = await factory.CreateTenantClientAsync();
        using var response = await client.PostAsync("/v1/detect?" + query, DetectorApiFactory.ImageForm(BadImages.Dog));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
    }

    [Fact]
    public async Task Unknown_model_is_a_400_with_its_own_code()
    {
        var (client, _) = await factory.CreateTenantClientAsync();
        using var response = await client.PostAsync("/v1/detect?model=resnet_9000", DetectorApiFactory.ImageForm(BadImages.Dog));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.UnknownModel);
    }

    [Fact]
    public async Task Missing_or_wrong_api_key_is_a_401()
    {
        using var anonymous = factory.CreateAnonymousClient();
        using (var response = await anonymous.PostAsync("/v1/detect", DetectorApiFactory.ImageForm(BadImages.Dog)))
        {
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        }

        anonymous.DefaultRequestHeaders.Add("X-Api-Key", "dk_not-a-real-key");
        using (var response = await anonymous.GetAsync("/v1/results"))
        {
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        }
    }

    [Fact]
    public async Task Tenant_key_cannot_use_the_admin_api_and_admin_key_has_no_tenant_data()
    {
        var (client, _) = await factory.CreateTenantClientAsync();
        using (var response = await client.PostAsJsonAsync("/v1/admin/tenants", new { name = "sneaky" }))
        {
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        }

        using var admin = factory.CreateAdminClient();
        using (var response = await admin.GetAsync("/v1/results"))
        {
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        }
    }

    [Theory]
    [InlineData("{\"name\":\"\"}")]
    [InlineData("{}")]
    [InlineData("{\"name\":null}")]
    public async Task Creating_a_tenant_without_a_name_is_a_400(string json)
    {
        using var admin = factory.CreateAdminClient();
        using var response = await admin.PostAsync("/v1/admin/tenants", new StringContent(json, Encoding.UTF8, "application/json"));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
    }

    [Fact]
    public async Task Malformed_json_is_a_400()
    {
        using var admin = factory.CreateAdminClient();
        using var response = await admin.PostAsync("/v1/admin/tenants", new StringContent("{\"name\":", Encoding.UTF8, "application/json"));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
    }

    [Theory]
    [InlineData("/v1/results?cursor=not-a-cursor", HttpStatusCode.BadRequest, ErrorCodes.InvalidCursor)]
    [InlineData("/v1/results?limit=0", HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed)]
    [InlineData("/v1/results?limit=1000", HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed)]
    [InlineData("/v1/results/3f2504e0-4f89-11d3-9a0c-0305e82c3301", HttpStatusCode.NotFound, ErrorCodes.NotFound)]
    [InlineData("/v1/results/not-a-guid", HttpStatusCode.NotFound, ErrorCodes.NotFound)]
    [InlineData("/v1/nothing-here", HttpStatusCode.NotFound, ErrorCodes.NotFound)]
    public async Task Bad_result_queries_get_problems(string url, HttpStatusCode status, string code)
    {
        var (client, _) = await factory.CreateTenantClientAsync();
        using var response = await client.GetAsync(url);
        await ProblemAssert.IsProblemAsync(response, status, code);
    }

    [Fact]
    public async Task Wrong_method_is_a_405_problem()
    {
        var (client, _) = await factory.CreateTenantClientAsync();
        using var response = await client.GetAsync("/v1/detect");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    private static async Task AssertStillServingAsync(HttpClient client)
    {
        using var live = await client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using var ok = await client.PostAsync("/v1/detect?max_detections=1", DetectorApiFactory.ImageForm(BadImages.Dog));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}
