using Detector.Modules.Common;
using Detector.Modules.Outbound.Contracts;
using Detector.Modules.Preprocessing.Contracts;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace Detector.Modules.Outbound.UrlFetch;

/// <summary>
/// Fetches images for URL jobs: http(s) only, redirects followed by hand (each hop's connection
/// goes through <see cref="SafeConnector"/> again), a byte cap enforced while streaming, an
/// overall timeout, and the content sniffed from its bytes, never trusted from headers.
/// </summary>
internal sealed class UrlFetcher : IUrlFetcher, IDisposable
{
    private readonly HttpClient _client;
    private readonly UrlFetchOptions _options;
    private readonly long _maxBytes;
    private readonly IImagePreprocessor _preprocessor;
    private readonly OutboundBreakers _breakers;

    public UrlFetcher(SafeConnector connector, IImagePreprocessor preprocessor, OutboundBreakers breakers, IOptions<UrlFetchOptions> options)
    {
        _breakers = breakers;
        _options = options.Value;
        _maxBytes = _options.MaxBytes;
        _preprocessor = preprocessor;
        _client = new HttpClient(connector.CreateHandler(), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("Detector-UrlIngest/1.0");
    }

    /// <summary>
    /// Fetches <paramref name="url"/> for <paramref name="tenant"/> (whose breakers it goes
    /// through), refusing more than <paramref name="maxBytes"/> (the tenant's plan, as for an
    /// upload) or the fetcher's own cap, whichever is smaller.
    /// </summary>
    public async Task<byte[]> FetchImageAsync(Uri url, Guid tenant, long maxBytes, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
        try
        {
            var bytes = await FetchAsync(url, new Fetch(tenant, Math.Min(_maxBytes, maxBytes)), timeout.Token);
            try
            {
                _preprocessor.Inspect(bytes);
            }
            catch (DomainException p) when (p.Kind == OutcomeKind.UnsupportedMediaType || p.Code == ErrorCodes.EmptyBody)
            {
                throw new UrlFetchException(ErrorCodes.UrlNotAnImage, $"The content at {url} is not a supported image ({p.Detail ?? p.Title}).", transient: false);
            }

            return bytes;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UrlFetchException(ErrorCodes.UrlTimeout, $"Fetching {url} took longer than {_options.TimeoutSeconds} s.", transient: true);
        }
    }

    private async Task<byte[]> FetchAsync(Uri url, Fetch fetch, CancellationToken ct)
    {
        var current = url;
        for (var hop = 0; ; hop++)
        {
            if (!FetchableUrl.IsFetchable(current))
            {
                throw new UrlFetchException(ErrorCodes.UrlForbidden, $"Only http and https URLs without credentials are fetched ({current.Scheme}).", transient: false);
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            HttpResponseMessage response;
            try
            {
                response = await _breakers.SendAsync("url_fetch", fetch.Tenant, current, c => _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, c), ct);
            }
            catch (BrokenCircuitException ex)
            {
                throw new UrlFetchException(ErrorCodes.UrlFetchFailed, $"Not fetched: {current.Authority} has been failing (its circuit breaker is open); retried later.", transient: true, ex);
            }
            catch (HttpRequestException ex) when (FindForbidden(ex) is { } forbidden)
            {
                throw new UrlFetchException(ErrorCodes.UrlForbidden, forbidden.Message, transient: false, ex);
            }
            catch (HttpRequestException ex)
            {
                throw new UrlFetchException(ErrorCodes.UrlFetchFailed, $"Fetching {current} failed: {ex.Message}", transient: true, ex);
            }

            using (response)
            {
                var status = (int)response.StatusCode;
                if (status is >= 300 and < 400 && response.Headers.Location is { } location)
                {
                    if (hop >= _options.MaxRedirects)
                    {
                        throw new UrlFetchException(ErrorCodes.UrlTooManyRedirects, $"More than {_options.MaxRedirects} redirects from {url}.", transient: false);
                    }

                    current = location.IsAbsoluteUri ? location : new Uri(current, location);
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    var transient = status is >= 500 or 408 or 429;
                    throw new UrlFetchException(ErrorCodes.UrlFetchFailed, $"{current} answered HTTP {status}.", transient);
                }

                if (response.Content.Headers.ContentLength is { } declared && declared > fetch.MaxBytes)
                {
                    throw TooLarge(current, fetch.MaxBytes);
                }

                await using var body = await response.Content.ReadAsStreamAsync(ct);
                return await ReadCappedAsync(body, current, fetch.MaxBytes, ct);
            }
        }
    }

    private static async Task<byte[]> ReadCappedAsync(Stream body, Uri url, long maxBytes, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        while (true)
        {
            var read = await body.ReadAsync(chunk, ct);
            if (read == 0)
            {
                return buffer.ToArray();
            }

            if (buffer.Length + read > maxBytes)
            {
                throw TooLarge(url, maxBytes);
            }

            buffer.Write(chunk, 0, read);
        }
    }

    private static UrlFetchException TooLarge(Uri url, long maxBytes) =>
        new(ErrorCodes.UrlTooLarge, $"The content at {url} is larger than {maxBytes} bytes.", transient: false);

    private readonly record struct Fetch(Guid Tenant, long MaxBytes);

    private static ForbiddenAddressException? FindForbidden(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is ForbiddenAddressException f)
            {
                return f;
            }
        }

        return null;
    }

    public void Dispose() => _client.Dispose();
}
