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
        // "abab" inside "ababab-x": Knuth-Morris-Pratt must give back the prefix it gave up on.
        var a = Fingerprint(Encoding.ASCII.GetBytes("xxababacxx"), "ababac");
        var b = Fingerprint(Encoding.ASCII.GetBytes("xxxx"), "ababac");
        var c = Fingerprint(Encoding.ASCII.GetBytes("xxababxx"), "ababac");
        Assert.Equal(a, b);
        Assert.NotEqual(b, c);
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
