using System.Security.Cryptography;
using System.Text;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Tenancy.Authentication;

/// <summary>The admin key from configuration, compared by SHA-256 in constant time (the lengths never leak).</summary>
internal sealed class AdminVerifier(IOptions<TenancyOptions> options) : IAdminVerifier
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.AdminApiKey));

    public bool IsAdminKey(string presented) =>
        presented.Length > 0 && CryptographicOperations.FixedTimeEquals(_expected, SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
}
