using Detector.Modules.Common;
using Detector.Modules.Preprocessing.Contracts;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace Detector.Modules.Jobs.UrlFetch;

/// <summary>A URL that could not be fetched; <see cref="Transient"/> failures are worth a retry.</summary>
internal sealed class UrlFetchException(string code, string message, bool transient, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;

    public bool Transient { get; } = transient;
}

/// <summary>
/// Fetches images for URL jobs: http(s) only, redirects followed by hand (each hop's connection
/// goes through <see cref="SafeConnector"/> again), a byte cap enforced while streaming, an
/// overall timeout, and the content sniffed from its bytes, never trusted from headers.
/// </summary>
internal sealed class UrlFetcher : IDisposable
{
    private readonly HttpClient _client;
    private readonly UrlFetchOptions _options;
    private readonly long _maxBytes;
    private readonly IImagePreprocessor _preprocessor;
    private readonly OutboundBreakers _breakers;

    public UrlFetcher(SafeConnector connector, IImagePreprocessor preprocessor, OutboundBreakers breakers, IOptions<UrlFetchOptions> options, IOptions<JobsOptions> jobs)
    {
        _breakers = breakers;
        _options = options.Value;
        _maxBytes = _options.MaxBytes > 0 ? _options.MaxBytes : jobs.Value.MaxImageBytes;
        _preprocessor = preprocessor;
        _client = new HttpClient(connector.CreateHandler(), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("Detector-UrlIngest/1.0");
    }

    public static bool IsFetchable(Uri uri) =>
        uri.IsAbsoluteUri && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && string.IsNullOrEmpty(uri.UserInfo);

    public async Task<byte[]> FetchImageAsync(Uri url, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
        try
        {
            var bytes = await FetchAsync(url, timeout.Token);
            try
            {
                _preprocessor.Inspect(bytes);
            }
            catch (ProblemException p) when (p.Status == 415 || p.Code == ErrorCodes.EmptyBody)
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

    private async Task<byte[]> FetchAsync(Uri url, CancellationToken ct)
    {
        var current = url;
        for (var hop = 0; ; hop++)
        {
            if (!IsFetchable(current))
            {
                throw new UrlFetchException(ErrorCodes.UrlForbidden, $"Only http and https URLs without credentials are fetched ({current.Scheme}).", transient: false);
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            HttpResponseMessage response;
            try
            {
                response = await _breakers.SendAsync("url_fetch", current, c => _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, c), ct);
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

                if (response.Content.Headers.ContentLength is { } declared && declared > _maxBytes)
                {
                    throw TooLarge(current);
                }

                await using var body = await response.Content.ReadAsStreamAsync(ct);
                return await ReadCappedAsync(body, current, ct);
            }
        }
    }

    private async Task<byte[]> ReadCappedAsync(Stream body, Uri url, CancellationToken ct)
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

            if (buffer.Length + read > _maxBytes)
            {
                throw TooLarge(url);
            }

            buffer.Write(chunk, 0, read);
        }
    }

    private UrlFetchException TooLarge(Uri url) =>
        new(ErrorCodes.UrlTooLarge, $"The content at {url} is larger than {_maxBytes} bytes.", transient: false);

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
