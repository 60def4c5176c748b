using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Detector.Web.Infrastructure;

/// <summary>Adds worked examples to the documented answers, so Swagger UI shows real shapes.</summary>
internal sealed class ExampleOperationFilter : IOperationFilter
{
    private static readonly JsonNode DetectExample = JsonNode.Parse("""
        {
          "id": "01a20ff4-cbf2-7820-87d7-54bd288a45c2",
          "created_at": "2026-11-24T23:47:10.96+00:00",
          "source": "sync",
          "model": { "name": "yolox_nano_416", "version": "9dc044b5eef1" },
          "image": { "width": 768, "height": 576, "sha256": "5a9522051c3cec2bbd2f6323fccba32e8fbf3ddcc2b3e2fd46b04c720bc6f866", "format": "jpeg" },
          "detections": [
            { "label": "dog", "class_id": 16, "score": 0.8285, "box": [133.1, 207.0, 324.6, 542.3] },
            { "label": "car", "class_id": 2, "score": 0.8094, "box": [466.7, 78.2, 691.5, 171.5] },
            { "label": "bicycle", "class_id": 1, "score": 0.808, "box": [45.6, 131.9, 571.7, 430.6] }
          ],
          "timings": { "decode_ms": 6.1, "queue_ms": 0.2, "inference_ms": 17.9, "postprocess_ms": 0.6, "total_ms": 25.4, "batch_size": 1 }
        }
        """)!;

    private static readonly JsonNode ProblemExample = JsonNode.Parse("""
        {
          "type": "https://detector.dev/problems/unsupported-image-format",
          "title": "Unsupported image format",
          "status": 415,
          "detail": "The data is TIFF; send JPEG, PNG, WebP, GIF or BMP.",
          "instance": "/v1/detect",
          "code": "unsupported_image_format",
          "trace_id": "5101a3c52eb3d007f6e4a3c184f9e4e4"
        }
        """)!;

    private static readonly JsonNode TenantExample = JsonNode.Parse("""
        { "id": "01a20ff4-0eff-7de8-a4a0-836c13a76689", "name": "acme", "api_key": "dk_0V3QzGe…", "created_at": "2026-11-24T23:46:22Z" }
        """)!;

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.Responses is null)
        {
            return;
        }

        switch (operation.OperationId)
        {
            case "DetectObjects":
            case "GetResult":
                SetExample(operation, "200", "application/json", DetectExample);
                SetExample(operation, "415", "application/problem+json", ProblemExample);
                break;
            case "CreateTenant":
                SetExample(operation, "201", "application/json", TenantExample);
                break;
        }
    }

    private static void SetExample(OpenApiOperation operation, string status, string mediaType, JsonNode example)
    {
        if (operation.Responses!.TryGetValue(status, out var response) && response is OpenApiResponse { Content: { } content }
            && content.TryGetValue(mediaType, out var media))
        {
            media.Example = example.DeepClone();
        }
    }
}
