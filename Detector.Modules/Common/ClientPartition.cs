using System.Net;
using System.Net.Sockets;

namespace Detector.Modules.Common;

/// <summary>
/// Who counts as one client for the unknown-key throttle: an IPv4 address, or an IPv6 /64. One
/// IPv6 host is routinely given a whole /64 (SLAAC, privacy addresses), so per address a single
/// machine could take a fresh budget of guesses with every request. Every throttle of unknown
/// keys (API keys, labeler keys) counts clients this way.
/// </summary>
public static class ClientPartition
{
    public static string For(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}
