using Detector.Modules.Outbound.Contracts;
using Polly.CircuitBreaker;

namespace Detector.Modules.Outbound.UrlFetch;

/// <summary>
/// <see cref="IOutboundHttp"/>: one client over the connect hook (no proxy, no automatic
/// redirects), each call through the tenant's breaker for its host.
/// </summary>
internal sealed class OutboundHttp(SafeConnector connector, OutboundBreakers breakers) : IOutboundHttp, IDisposable
{
    private readonly HttpClient _client = new(connector.CreateHandler(), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };

    public async Task<HttpResponseMessage> SendAsync(string purpose, Guid tenant, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return await breakers.SendAsync(purpose, tenant, request.RequestUri!, c => _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, c), cancellationToken);
        }
        catch (BrokenCircuitException ex)
        {
            throw new OutboundRefusedException(OutboundRefusal.HostFailing, "not sent: the receiver has been failing (its circuit breaker is open)", ex);
        }
        catch (HttpRequestException ex) when (ex.InnerException is ForbiddenAddressException forbidden)
        {
            throw new OutboundRefusedException(OutboundRefusal.ForbiddenAddress, forbidden.Message, ex);
        }
    }

    public void Dispose() => _client.Dispose();
}
