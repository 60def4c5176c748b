using System.Runtime.InteropServices;
using Detector.Modules.Images.Uploads;
using Microsoft.AspNetCore.Http;

namespace Detector.Tests.Unit.Images;

public sealed class UploadReaderTests
{
    [Fact]
    public async Task A_declared_length_does_not_decide_the_first_buffer_so_a_slow_sender_pins_little_memory()
    {
        // A raw upload declaring 20 MB that has sent 100 KB so far (then stops): before, 20 MB were rented up front.
        var sent = new byte[100 * 1024];
        new Random(1).NextBytes(sent);
        var context = new DefaultHttpContext();
        context.Request.ContentType = "image/jpeg";
        context.Request.ContentLength = 20_000_000;
        context.Request.Body = new MemoryStream(sent);

        using var upload = await new UploadReader().ReadImageAsync(context.Request, 25_000_000, CancellationToken.None);

        Assert.True(MemoryMarshal.TryGetArray(upload.Bytes, out var segment));
        Assert.InRange(segment.Array!.Length, sent.Length, 256 * 1024);
        Assert.Equal(sent, upload.Bytes.ToArray());
    }

    [Fact]
    public async Task A_large_upload_that_keeps_coming_grows_to_its_declared_length_and_arrives_whole()
    {
        var image = new byte[3 * 1024 * 1024 + 5];
        new Random(2).NextBytes(image);
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/octet-stream";
        context.Request.ContentLength = image.Length;
        context.Request.Body = new MemoryStream(image);

        using var upload = await new UploadReader().ReadImageAsync(context.Request, 25_000_000, CancellationToken.None);

        Assert.Equal(image, upload.Bytes.ToArray());
    }
}
