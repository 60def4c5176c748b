using System.Net;
using System.Net.Sockets;

namespace Detector.Modules.Outbound.UrlFetch;

/// <summary>
/// Which addresses outbound fetches (URL ingest, webhooks) may connect to: public unicast only.
/// Loopback, private, link-local (cloud metadata included), CGNAT, unique-local, multicast,
/// unspecified and reserved ranges are refused, in IPv4, IPv6 and IPv4-mapped/compatible forms.
/// </summary>
internal static class AddressPolicy
{
    private static readonly (IPAddress Network, int Prefix)[] ForbiddenV4 =
    [
        (IPAddress.Parse("0.0.0.0"), 8),        // "this network"
        (IPAddress.Parse("10.0.0.0"), 8),       // RFC 1918
        (IPAddress.Parse("100.64.0.0"), 10),    // CGNAT
        (IPAddress.Parse("127.0.0.0"), 8),      // loopback
        (IPAddress.Parse("169.254.0.0"), 16),   // link-local, 169.254.169.254 metadata
        (IPAddress.Parse("172.16.0.0"), 12),    // RFC 1918
        (IPAddress.Parse("192.0.0.0"), 24),     // IETF protocol assignments
        (IPAddress.Parse("192.0.2.0"), 24),     // TEST-NET-1
        (IPAddress.Parse("192.88.99.0"), 24),   // 6to4 relay anycast
        (IPAddress.Parse("192.168.0.0"), 16),   // RFC 1918
        (IPAddress.Parse("198.18.0.0"), 15),    // benchmarking
        (IPAddress.Parse("198.51.100.0"), 24),  // TEST-NET-2
        (IPAddress.Parse("203.0.113.0"), 24),   // TEST-NET-3
        (IPAddress.Parse("224.0.0.0"), 4),      // multicast
        (IPAddress.Parse("240.0.0.0"), 4),      // reserved and broadcast
    ];

    private static readonly (IPAddress Network, int Prefix)[] ForbiddenV6 =
    [
        (IPAddress.Parse("::"), 128),           // unspecified
        (IPAddress.Parse("::1"), 128),          // loopback
        (IPAddress.Parse("64:ff9b:1::"), 48),   // local-use NAT64
        (IPAddress.Parse("100::"), 64),         // discard
        (IPAddress.Parse("2001:db8::"), 32),    // documentation
        (IPAddress.Parse("fc00::"), 7),         // unique-local
        (IPAddress.Parse("fe80::"), 10),        // link-local
        (IPAddress.Parse("fec0::"), 10),        // site-local (deprecated)
        (IPAddress.Parse("ff00::"), 8),         // multicast
    ];

    /// <summary>Whether a connection to <paramref name="address"/> must be refused.</summary>
    public static bool IsForbidden(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.IsIPv4MappedToIPv6)
            {
                return IsForbidden(address.MapToIPv4());
            }

            var bytes = address.GetAddressBytes();
            // IPv4-compatible (::a.b.c.d, deprecated), NAT64 (64:ff9b::/96) and 6to4 (2002::/16)
            // embed an IPv4 address; judge the embedded one too.
            if (bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 && !address.Equals(IPAddress.IPv6Loopback) && !address.Equals(IPAddress.IPv6Any))
            {
                return IsForbidden(new IPAddress(bytes.AsSpan(12, 4)));
            }

            if (bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b && bytes.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
            {
                return IsForbidden(new IPAddress(bytes.AsSpan(12, 4)));
            }

            if (bytes[0] == 0x20 && bytes[1] == 0x02)
            {
                return IsForbidden(new IPAddress(bytes.AsSpan(2, 4)));
            }

            return Matches(bytes, ForbiddenV6);
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return Matches(address.GetAddressBytes(), ForbiddenV4);
        }

        return true; // anything else (unix sockets...) is never fetched
    }

    private static bool Matches(byte[] bytes, (IPAddress Network, int Prefix)[] ranges)
    {
        foreach (var (network, prefix) in ranges)
        {
            var net = network.GetAddressBytes();
            if (net.Length == bytes.Length && PrefixEquals(bytes, net, prefix))
            {
                return true;
            }
        }

        return false;
    }

    private static bool PrefixEquals(byte[] a, byte[] b, int prefix)
    {
        var full = prefix / 8;
        if (!a.AsSpan(0, full).SequenceEqual(b.AsSpan(0, full)))
        {
            return false;
        }

        var rest = prefix % 8;
        if (rest == 0)
        {
            return true;
        }

        var mask = (byte)(0xFF << (8 - rest));
        return (a[full] & mask) == (b[full] & mask);
    }
}
