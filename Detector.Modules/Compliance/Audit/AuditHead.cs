using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Detector.Modules.Compliance.Audit;

/// <summary>
/// A point of the chain, <c>&lt;seq&gt;:&lt;hash hex&gt;</c>: what the service logs periodically and
/// verification prints, to be kept outside the database and given back to verification later.
/// </summary>
internal sealed record AuditHead(long Seq, string Hash)
{
    public override string ToString() => Seq.ToString(CultureInfo.InvariantCulture) + ":" + Hash;

    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out AuditHead? head)
    {
        head = null;
        if (text is null)
        {
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0
            || !long.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var seq) || seq < 1
            || text.Length - colon - 1 != 64 || !text[(colon + 1)..].All(char.IsAsciiHexDigit))
        {
            return false;
        }

        head = new AuditHead(seq, text[(colon + 1)..].ToLowerInvariant());
        return true;
    }

    public const string FormatHelp = "<seq>:<64 hex digits of its hash>, as verification and the service's 'Audit chain head' log line print it";
}
