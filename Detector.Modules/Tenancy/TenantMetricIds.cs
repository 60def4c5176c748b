using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Tenancy;

/// <summary>
/// The opaque id a tenant's series carry in <c>/metrics</c>: the first 16 hex digits of an HMAC
/// of its id under a key derived from the server secret. Whoever can read the scrape sees volumes
/// per opaque id, not which customer sent them; an operator finds a tenant's series through the
/// admin API (<c>metrics_id</c>), and nobody can go from a label back to a tenant without the
/// secret. Stable across instances and restarts, so dashboards keep one series per tenant.
/// </summary>
internal sealed class TenantMetricIds
{
    private readonly byte[] _key;

    public TenantMetricIds(IOptions<TenancyOptions> options)
    {
        // A key of its own (domain-separated from the API-key hash), so a label never equals anything stored.
        _key = HMACSHA256.HashData(Encoding.UTF8.GetBytes(options.Value.ApiKeyHashSecret), "detector/metrics-tenant-label"u8);
    }

    public string For(Guid tenantId)
    {
        Span<byte> id = stackalloc byte[16];
        tenantId.TryWriteBytes(id);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, id, mac);
        return "t" + Convert.ToHexStringLower(mac[..8]);
    }
}
