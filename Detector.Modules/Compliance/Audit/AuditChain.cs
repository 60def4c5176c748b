using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Compliance.Audit;

/// <summary>How an entry's subject digest was made (<c>audit.entries.subject_alg</c>).</summary>
internal static class SubjectAlg
{
    /// <summary>Unkeyed SHA-256 (entries before migration 0011): invertible by brute force once redacted; only verified, never written.</summary>
    public const short Sha256 = 1;

    /// <summary>HMAC-SHA256 under Compliance:AuditSubjectKey, which the database never holds.</summary>
    public const short HmacSha256 = 2;
}

/// <summary>
/// Digests of who, for whom, on what and from where ("subject"). The keyed one is computed here,
/// never in PostgreSQL, so a copy of the database (a backup, a replica, a dump) cannot test
/// guesses of a redacted subject against it.
/// </summary>
internal sealed class AuditSubjects(IOptions<ComplianceOptions> options)
{
    private readonly byte[] _key = Encoding.UTF8.GetBytes(options.Value.AuditSubjectKey);

    /// <summary>The digest new entries carry (<see cref="SubjectAlg.HmacSha256"/>).</summary>
    public byte[] Digest(string? actor, Guid? tenant, string? target, string? remote) =>
        HMACSHA256.HashData(_key, Text(actor, tenant, target, remote));

    /// <summary>The digest an entry of <paramref name="alg"/> must carry, or null for an algorithm this version does not know.</summary>
    public byte[]? Digest(short alg, string? actor, Guid? tenant, string? target, string? remote) => alg switch
    {
        SubjectAlg.HmacSha256 => Digest(actor, tenant, target, remote),
        SubjectAlg.Sha256 => SHA256.HashData(Text(actor, tenant, target, remote)),
        _ => null,
    };

    /// <summary>The bytes both digests cover, as <c>audit.subject_digest</c> (0009) spells them.</summary>
    public static byte[] Text(string? actor, Guid? tenant, string? target, string? remote) =>
        Encoding.UTF8.GetBytes($"{actor}\n{tenant?.ToString("D", CultureInfo.InvariantCulture)}\n{target}\n{remote}");
}

/// <summary>
/// The chain's format, as <c>audit.entry_hash</c> (0009) computes it when appending. Verification
/// recomputes it here rather than calling that function, so it does not trust code stored in
/// the database it checks.
/// </summary>
internal static class AuditChain
{
    /// <summary>The transaction advisory lock <c>audit.append</c> takes ('AUDITLOG'): holding it, nothing is appended.</summary>
    public const long LockKey = 4702111234474983745;

    public static readonly byte[] Genesis = new byte[32];

    public static byte[] EntryHash(byte[] prev, long seq, DateTime at, string action, int? status, string? detail, byte[] subject)
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{seq}\n{at.ToUniversalTime():yyyy-MM-dd'T'HH:mm:ss.ffffff}\n{action}\n{status}\n{detail}\n");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(prev);
        hash.AppendData(Encoding.UTF8.GetBytes(text));
        hash.AppendData(subject);
        return hash.GetHashAndReset();
    }

    public static string Hex(byte[] hash) => Convert.ToHexStringLower(hash);
}
