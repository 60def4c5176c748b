using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Detector.Modules.Common;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>
/// What "the same payload" means for a multipart upload under an Idempotency-Key: the same parts
/// (their headers that matter and their content), whatever boundary string the client picked.
/// </summary>
[Collection(TwoInstancesCollection.Name)]
public sealed class IdempotencyFingerprintTests(TwoInstances instances)
{
    private static readonly byte[] Dog = File.ReadAllBytes(Path.Combine(TestPaths.Samples, "dog.jpg"));

    [Fact]
    public async Task Uploads_that_differ_only_where_a_one_character_boundary_occurs_in_the_image_are_different_payloads()
    {
        var (_, _, key) = await instances.A.CreateTenantAsync("idempotent-boundary");
        using var client = instances.A.Client(key);
        var (boundary, moved) = MoveABoundaryCharacter(Dog);

        using var first = await SendAsync(client, Upload(Dog, boundary));
        Assert.True(first.StatusCode == HttpStatusCode.OK, $"{(int)first.StatusCode}: {await first.Content.ReadAsStringAsync()}");

        // Same length, same bytes once every boundary character is dropped: another image all the same.
        using (var other = await SendAsync(client, Upload(moved, boundary)))
        {
            await ProblemAssert.IsProblemAsync(other, HttpStatusCode.UnprocessableEntity, ErrorCodes.IdempotencyKeyReused);
        }

        // The same part under another boundary (as a retrying HttpClient or curl sends it) is the same payload.
        using var same = await SendAsync(client, Upload(Dog, "another-boundary-0123456789"));
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        Assert.Equal("true", same.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await same.Content.ReadAsByteArrayAsync());
    }

    /// <summary>
    /// A letter that occurs in the image (never right after CRLF--, so the body stays a valid
    /// multipart body) and the image with one occurrence of it swapped with its neighbour.
    /// </summary>
    private static (string Boundary, byte[] Moved) MoveABoundaryCharacter(byte[] image)
    {
        for (var c = (byte)'A'; c <= 'Z'; c++)
        {
            if (image.AsSpan().IndexOf([(byte)'\r', (byte)'\n', (byte)'-', (byte)'-', c]) >= 0)
            {
                continue;
            }

            // Well inside the entropy-coded data, away from the markers at either end.
            for (var i = image.Length / 2; i < image.Length - 3; i++)
            {
                if (image[i] == c && image[i + 1] != c)
                {
                    var moved = (byte[])image.Clone();
                    (moved[i], moved[i + 1]) = (moved[i + 1], moved[i]);
                    return (((char)c).ToString(), moved);
                }
            }
        }

        throw new InvalidOperationException("dog.jpg has no upper-case ASCII letter to use as a boundary");
    }

    private static ByteArrayContent Upload(byte[] image, string boundary)
    {
        var head = Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"dog.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n");
        var tail = Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n");
        var content = new ByteArrayContent([.. head, .. image, .. tail]);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={boundary}");
        return content;
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = content };
        request.Headers.Add("Idempotency-Key", "boundary-key");
        return client.SendAsync(request);
    }
}
