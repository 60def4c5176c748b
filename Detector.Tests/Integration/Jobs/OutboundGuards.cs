using System.Collections.Concurrent;
using System.Net;
using Detector.Modules.Outbound.UrlFetch;

namespace Detector.Tests.Integration.Jobs;

/// <summary>DNS for tests: fixed answers, and an exception for any other name, so no query ever leaves the machine.</summary>
internal sealed class StubResolver(Dictionary<string, IPAddress[]> answers) : IHostResolver
{
    public ConcurrentQueue<string> Queries { get; } = new();

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        Queries.Enqueue(host);
        return answers.TryGetValue(host, out var addresses)
            ? Task.FromResult(addresses)
            : throw new InvalidOperationException($"Test DNS has no answer for '{host}'.");
    }
}

/// <summary>
/// The last line of defence of the outbound tests: records every connection the code under test
/// opens and opens it only when it is to a loopback address; anything else is recorded as a
/// violation and never reaches a socket, whatever the policy code decided.
/// </summary>
internal sealed class LoopbackOnlyConnector : ISocketConnector
{
    private readonly TcpSocketConnector _real = new();

    public ConcurrentQueue<IPEndPoint> Connects { get; } = new();

    public ConcurrentQueue<IPEndPoint> Violations { get; } = new();

    public ValueTask<Stream> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        Connects.Enqueue(endpoint);
        if (!IPAddress.IsLoopback(endpoint.Address))
        {
            Violations.Enqueue(endpoint);
            throw new InvalidOperationException($"Test guard: refused to open a socket to {endpoint} (not loopback).");
        }

        return _real.ConnectAsync(endpoint, cancellationToken);
    }
}
