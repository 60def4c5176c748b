using System.Text;
using Detector.Modules.Tenancy.Idempotency;

namespace Detector.Tests.Unit.Tenancy;

public sealed class BodyFingerprintTests
{
    [Fact]
    public void Two_multipart_bodies_that_differ_only_in_their_boundary_have_one_fingerprint()
    {
        Assert.Equal(Fingerprint(Multipart("aaaa-1111", "hello"), "aaaa-1111"), Fingerprint(Multipart("zz-boundary-9876543210", "hello"), "zz-boundary-9876543210"));
    }

    [Fact]
    public void Another_payload_has_another_fingerprint()
    {
        Assert.NotEqual(Fingerprint(Multipart("b", "hello"), "b"), Fingerprint(Multipart("b", "hellp"), "b"));
        Assert.NotEqual(Fingerprint("abc"u8.ToArray(), null), Fingerprint("abd"u8.ToArray(), null));
    }

    [Fact]
    public void Bytes_that_only_begin_like_the_boundary_are_hashed_not_dropped()
    {
        // "CRLF--ababa" inside a part begins like the delimiter "CRLF--ababac" and is not one:
        // Knuth-Morris-Pratt must give back the prefix it gave up on, as content. (The boundary
        // string alone is never a delimiter: it was once dropped wherever it occurred.)
        var a = Fingerprint(Multipart("ababac", "xx\r\n--ababab-x ababac"), "ababac");
        var b = Fingerprint(Multipart("zzzzzz", "xx\r\n--ababab-x ababac"), "zzzzzz");
        var c = Fingerprint(Multipart("ababac", "xx\r\n--abab-x ababac"), "ababac");
        var d = Fingerprint(Multipart("ababac", "xx\r\n--ababab-x "), "ababac");
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(a, d);
    }

    [Fact]
    public void The_fingerprint_does_not_depend_on_how_the_body_arrives_in_chunks()
    {
        var body = Multipart("----boundary-abc", string.Concat(Enumerable.Repeat("part-data-", 50)));
        var whole = Fingerprint(body, "----boundary-abc");
        for (var size = 1; size < 40; size += 3)
        {
            using var f = new BodyFingerprint("----boundary-abc");
            for (var i = 0; i < body.Length; i += size)
            {
                f.Append(body.AsSpan(i, Math.Min(size, body.Length - i)));
            }

            Assert.Equal(whole, f.Finish("POST", "/v1/detect", "", "MULTIPART/FORM-DATA"));
        }
    }

    [Fact]
    public void With_a_one_character_boundary_moving_that_character_inside_a_part_changes_the_fingerprint()
    {
        // Dropping every "b" made both of these "xy": two different images, one fingerprint.
        Assert.NotEqual(Fingerprint(Multipart("b", "xby"), "b"), Fingerprint(Multipart("b", "xyb"), "b"));
        Assert.NotEqual(Fingerprint(Multipart("b", "xby"), "b"), Fingerprint(Multipart("b", "xy"), "b"));
        Assert.Equal(Fingerprint(Multipart("b", "xby"), "b"), Fingerprint(Multipart("another-boundary", "xby"), "another-boundary"));
    }

    [Fact]
    public void Where_one_part_ends_and_the_next_begins_is_part_of_the_fingerprint()
    {
        var one = Encoding.ASCII.GetBytes("--q\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nxy\r\n--q\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nz\r\n--q--\r\n");
        var two = Encoding.ASCII.GetBytes("--q\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--q\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nyz\r\n--q--\r\n");
        Assert.NotEqual(Fingerprint(one, "q"), Fingerprint(two, "q"));
    }

    [Fact]
    public void Method_path_and_query_are_part_of_the_fingerprint()
    {
        using var a = new BodyFingerprint(null);
        using var b = new BodyFingerprint(null);
        Assert.NotEqual(a.Finish("POST", "/v1/detect", "?min_score=0.5", ""), b.Finish("POST", "/v1/detect", "?min_score=0.9", ""));
    }

    private static byte[] Multipart(string boundary, string data) =>
        Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\n{data}\r\n--{boundary}--\r\n");

    private static byte[] Fingerprint(byte[] body, string? boundary)
    {
        using var f = new BodyFingerprint(boundary);
        f.Append(body);
        return f.Finish("POST", "/v1/detect", "", "MULTIPART/FORM-DATA");
    }
}
