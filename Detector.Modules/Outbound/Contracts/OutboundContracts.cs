namespace Detector.Modules.Outbound.Contracts;

/// <summary>A URL that could not be fetched; <see cref="Transient"/> failures are worth a retry.</summary>
public sealed class UrlFetchException(string code, string message, bool transient, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The problem code the job item records (url_forbidden, url_too_large, ...).</summary>
    public string Code { get; } = code;

    public bool Transient { get; } = transient;
}

/// <summary>Which URLs are fetched at all: http(s) only, without credentials (checked again at every redirect).</summary>
public static class FetchableUrl
{
    public static bool IsFetchable(Uri uri) =>
        uri.IsAbsoluteUri && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && string.IsNullOrEmpty(uri.UserInfo);
}

/// <summary>Images fetched from the URLs tenants give, through the address policy and the tenant's breakers.</summary>
public interface IUrlFetcher
{
    /// <summary>
    /// Fetches <paramref name="url"/> for <paramref name="tenant"/>, refusing more than
    /// <paramref name="maxBytes"/> (the tenant's plan, as for an upload) or the fetcher's own cap;
    /// throws <see cref="UrlFetchException"/> with the reason.
    /// </summary>
    Task<byte[]> FetchImageAsync(Uri url, Guid tenant, long maxBytes, CancellationToken cancellationToken);
}

/// <summary>Why an outbound call was not made.</summary>
public enum OutboundRefusal
{
    /// <summary>The host resolves to an address that is not public (the tenant sees the host, never the address).</summary>
    ForbiddenAddress,

    /// <summary>The tenant's calls to this host have been failing: its circuit breaker is open.</summary>
    HostFailing,
}

/// <summary>An outbound call refused before it was sent.</summary>
public sealed class OutboundRefusedException(OutboundRefusal reason, string message, Exception? inner = null) : Exception(message, inner)
{
    public OutboundRefusal Reason { get; } = reason;
}

/// <summary>
/// HTTP calls to hosts tenants choose (webhook receivers): through the connect hook that checks
/// every resolved address, and the tenant's circuit breaker for the host. Throws
/// <see cref="OutboundRefusedException"/> when the call is not made, HttpRequestException when it fails.
/// </summary>
public interface IOutboundHttp
{
    Task<HttpResponseMessage> SendAsync(string purpose, Guid tenant, HttpRequestMessage request, CancellationToken cancellationToken);
}
