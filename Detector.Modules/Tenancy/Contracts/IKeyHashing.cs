namespace Detector.Modules.Tenancy.Contracts;

/// <summary>
/// Secrets other modules issue to principals that are not tenants (a labeler's key), made and
/// stored the way Tenancy's API keys are: 256-bit random tokens kept only as HMAC-SHA256 under the
/// service's key-hashing secret (<c>Tenancy:ApiKeyHashSecret</c>), each purpose under a key of its
/// own derived from it, so a hash of one purpose never matches another's.
/// </summary>
public interface IKeyHashing
{
    /// <summary>A new random key starting with <paramref name="prefix"/>; shown once, never stored.</summary>
    string NewKey(string prefix);

    /// <summary>The stored form of <paramref name="key"/> for <paramref name="purpose"/>.</summary>
    byte[] Hash(string purpose, string key);

    /// <summary>The first characters of <paramref name="key"/>, which identify it in listings without revealing it.</summary>
    string DisplayPrefix(string key);
}
