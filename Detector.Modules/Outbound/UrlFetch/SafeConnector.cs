using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Outbound.UrlFetch;

/// <summary>Resolves host names; a seam so tests can answer DNS without sending a packet.</summary>
internal interface IHostResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

internal sealed class DnsHostResolver : IHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        Dns.GetHostAddressesAsync(host, cancellationToken);
}

/// <summary>Opens the TCP connection to an address already checked; a seam so tests can see (and stop) every connect.</summary>
internal interface ISocketConnector
{
    ValueTask<Stream> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken);
}

internal sealed class TcpSocketConnector : ISocketConnector
{
    public async ValueTask<Stream> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>
/// A connection refused by the address policy; raised inside the connect hook before any socket
/// exists. Its message is what the tenant sees (job item errors, webhook attempts): it names the
/// host the tenant gave, never the address it resolved to, which would map the private network
/// for anyone who can submit a URL. The address goes to the service log only.
/// </summary>
internal sealed class ForbiddenAddressException(string message) : Exception(message);

/// <summary>
/// The SocketsHttpHandler.ConnectCallback of every outbound client: resolves the host itself,
/// checks EVERY resolved address against <see cref="AddressPolicy"/> (unless host:port is
/// allow-listed) and connects to the checked address, so DNS rebinding cannot swap it and each
/// redirect hop is checked again when its connection opens.
/// </summary>
internal sealed partial class SafeConnector(IHostResolver resolver, ISocketConnector connector, IOptions<UrlFetchOptions> options, ILogger<SafeConnector> logger)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var port = context.DnsEndPoint.Port;
        var allowListed = IsAllowListed(host, port);

        IPAddress[] addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            addresses = await resolver.ResolveAsync(host, cancellationToken);
        }

        if (addresses.Length == 0)
        {
            throw new ForbiddenAddressException($"'{host}' resolved to no address.");
        }

        if (!allowListed)
        {
            foreach (var address in addresses)
            {
                if (AddressPolicy.IsForbidden(address))
                {
                    LogRefused(logger, host, port, address.ToString());
                    throw new ForbiddenAddressException(literal is null
                        ? $"'{host}' does not resolve to a public address."
                        : $"'{host}' is not a public address.");
                }
            }
        }

        Exception? last = null;
        foreach (var address in addresses)
        {
            try
            {
                return await connector.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
            }
            catch (SocketException ex)
            {
                last = ex;
            }
        }

        throw new HttpRequestException($"Could not connect to {host}:{port}.", last);
    }

    private bool IsAllowListed(string host, int port)
    {
        foreach (var entry in options.Value.AllowedHosts)
        {
            var e = entry.Trim();
            if (e.Equals(host, StringComparison.OrdinalIgnoreCase)
                || e.Equals(host + ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.OrdinalIgnoreCase)
                || e.Equals("[" + host.Trim('[', ']') + "]:" + port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The handler every outbound client uses: our connect hook, no proxy, no automatic redirects.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        ConnectCallback = ConnectAsync,
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused outbound connection to {Host}:{Port} ({Address}): not a public address")]
    private static partial void LogRefused(ILogger logger, string host, int port, string address);
}
