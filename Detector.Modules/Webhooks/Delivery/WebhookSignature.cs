using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Detector.Modules.Webhooks.Delivery;

/// <summary>
/// The <c>Detector-Signature</c> header: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;body&gt;")&gt;</c>,
/// one v1 per secret still signing (newest first) while a rotation overlaps (ADR 0009).
/// </summary>
internal static class WebhookSignature
{
    public const string Header = "Detector-Signature";

    /// <summary>
    /// The header value. Receivers recompute HMAC-SHA256(secret, t + "." + raw body), compare it in
    /// constant time with each v1, accept if any matches, and reject t older than a few minutes (replays).
    /// </summary>
    public static string Sign(IReadOnlyList<string> secrets, long timestamp, string body)
    {
        var t = timestamp.ToString(CultureInfo.InvariantCulture);
        var signed = Encoding.UTF8.GetBytes(t + "." + body);
        var header = new StringBuilder("t=").Append(t);
        foreach (var secret in secrets)
        {
            header.Append(",v1=").Append(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed)));
        }

        return header.ToString();
    }
}
