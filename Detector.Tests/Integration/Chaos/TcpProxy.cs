using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Detector.Tests.Integration.Chaos;

/// <summary>
/// A loopback TCP proxy in front of the real PostgreSQL (Toxiproxy's idea, in-process): the
/// service connects through it, and <see cref="Cut"/> makes the database vanish as a stopped server
/// does for its clients: open connections are reset and new ones refused, until
/// <see cref="Restore"/> listens again on the same port. The database itself keeps running, so the
/// other test classes sharing the cluster are not disturbed.
/// </summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<TcpClient, TcpClient> _pairs = new();
    private readonly Lock _lock = new();
    private TcpListener? _listener;
    private CancellationTokenSource _cuts = new();
    private TaskCompletionSource _flowing = Flowing();

    private TcpProxy(IPEndPoint target, int port)
    {
        _target = target;
        Port = port;
    }

    public int Port { get; }

    public static TcpProxy Start(string host, int port)
    {
        var target = new IPEndPoint(Dns.GetHostAddresses(host).First(a => a.AddressFamily == AddressFamily.InterNetwork), port);
        var proxy = new TcpProxy(target, Jobs.ServiceProcess.FreePort());
        proxy.Restore();
        return proxy;
    }

    /// <summary>Resets every open connection and refuses new ones.</summary>
    public void Cut()
    {
        lock (_lock)
        {
            _listener?.Stop();
            _listener = null;
            _cuts.Cancel();
            foreach (var (client, server) in _pairs)
            {
                try
                {
                    client.Client?.LingerState = new LingerOption(true, 0); // RST, as a dead server's host answers
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                }

                client.Dispose();
                server.Dispose();
            }

            _pairs.Clear();
        }
    }

    /// <summary>
    /// Holds what clients send from now on (connections stay open, nothing reaches the server), as
    /// a stalled network or server does, until <see cref="Resume"/>.
    /// </summary>
    public void Stall()
    {
        lock (_lock)
        {
            if (_flowing.Task.IsCompleted)
            {
                Volatile.Write(ref _flowing, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }
        }
    }

    /// <summary>Delivers what was held, and everything after it.</summary>
    public void Resume()
    {
        lock (_lock)
        {
            _flowing.TrySetResult();
        }
    }

    /// <summary>Listens again on the same port (nothing to do when it is not cut).</summary>
    public void Restore()
    {
        lock (_lock)
        {
            if (_listener is not null)
            {
                return; // listening already: its accept loop still holds the current source
            }

            _cuts.Dispose();
            _cuts = new CancellationTokenSource();
            var listener = new TcpListener(IPAddress.Loopback, Port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start();
            _listener = listener;
            _ = AcceptAsync(listener, _cuts.Token);
        }
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken cut)
    {
        while (!cut.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(cut);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = PairAsync(client, cut);
        }
    }

    private async Task PairAsync(TcpClient client, CancellationToken cut)
    {
        var server = new TcpClient();
        Task copies = Task.CompletedTask;
        try
        {
            await server.ConnectAsync(_target, cut);
            _pairs[client] = server;
            var a = PumpAsync(client.GetStream(), server.GetStream(), cut);
            var b = server.GetStream().CopyToAsync(client.GetStream(), cut);
            copies = Task.WhenAll(a, b);
            await Task.WhenAny(a, b);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            _pairs.TryRemove(client, out _);
            client.Dispose();
            server.Dispose();
        }

        // The direction still copying fails once the sockets are gone: observed here, so its error
        // is not left to the finalizer as an unobserved task exception (the service's last-chance
        // handler counts those, and this proxy lives in the same process as the test hosts).
        await copies.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Client to server, held while stalled.</summary>
    private async Task PumpAsync(Stream from, Stream to, CancellationToken cut)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, cut)) > 0)
        {
            await Volatile.Read(ref _flowing).Task.WaitAsync(cut);
            await to.WriteAsync(buffer.AsMemory(0, read), cut);
        }
    }

    private static TaskCompletionSource Flowing()
    {
        var flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        flowing.SetResult();
        return flowing;
    }

    public ValueTask DisposeAsync()
    {
        Resume();
        Cut();
        _cuts.Dispose();
        return ValueTask.CompletedTask;
    }
}
