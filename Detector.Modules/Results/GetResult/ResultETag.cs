using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Detector.Modules.Results.Contracts;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Detector.Modules.Results.GetResult;

/// <summary>
/// A result's entity tag: a digest of the JSON it is served as, so it changes exactly when the
/// answer would (a pending image becoming stored), and a client polling with If-None-Match gets
/// 304 without the body.
/// </summary>
internal static class ResultETag
{
    public static string Of(ResultDocument result)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(result, ResultStore.Json);
        return $"\"{Base64Url.EncodeToString(SHA256.HashData(json).AsSpan(0, 16))}\"";
    }

    /// <summary>RFC 9110 If-None-Match: weak comparison, any listed tag or <c>*</c>; an unparsable header matches nothing.</summary>
    public static bool Matches(StringValues ifNoneMatch, string etag)
    {
        if (StringValues.IsNullOrEmpty(ifNoneMatch) || !EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags))
        {
            return false;
        }

        var ours = new EntityTagHeaderValue(etag);
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(ours, useStrongComparison: false));
    }
}
