using System.Net;
using Detector.Modules.Common;
using Detector.Modules.Outbound.UrlFetch;
using Detector.Modules.Preprocessing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Detector.Modules.Outbound.Contracts;
using Detector.Modules.Outbound;

namespace Detector.Tests.Integration.Jobs;

/// <summary>
/// The URL-ingest address policy, driven through the HTTP client's connect hook with a stub
/// resolver and a connector that can only reach loopback: nothing here can send a packet off the machine.
/// </summary>
[Collection("Jobs")]
public sealed class UrlIngestPolicyTests : IAsyncLifetime
{
    private static readonly Guid TenantA = Guid.Parse("0193a000-0000-7000-8000-00000000000a");
    private static readonly Guid TenantB = Guid.Parse("0193a000-0000-7000-8000-00000000000b");

    private LoopbackServer _server = null!;

    public async Task InitializeAsync() => _server = await LoopbackServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.255.0.9", true)]
    [InlineData("::1", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("172.16.5.4", true)]
    [InlineData("172.31.255.255", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("fc00::1", true)]
    [InlineData("ff02::1", true)]
    [InlineData("::", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("::ffff:169.254.169.254", true)]
    [InlineData("::ffff:10.1.2.3", true)]
    [InlineData("::10.1.2.3", true)]
    [InlineData("64:ff9b::a00:1", true)]
    [InlineData("2002:a00:1::1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("172.32.0.1", false)]
    [InlineData("2606:4700::1111", false)]
    [InlineData("::ffff:8.8.8.8", false)]
    public void The_address_policy_refuses_non_public_ranges(string address, bool forbidden) =>
        Assert.Equal(forbidden, AddressPolicy.IsForbidden(IPAddress.Parse(address)));

    [Theory]
    [InlineData("http://127.0.0.1:{port}/img/0.jpg")]
    [InlineData("http://[::1]:{port}/img/0.jpg")]
    [InlineData("http://10.0.0.1/img.jpg")]
    [InlineData("http://192.168.1.1/img.jpg")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[::ffff:169.254.169.254]/latest/meta-data/")]
    [InlineData("http://internal.example/img.jpg")]
    [InlineData("http://metadata.example/computeMetadata/v1/")]
    [InlineData("https://mixed.example/img.jpg")]
    public async Task A_forbidden_address_is_refused_in_the_connect_hook_before_any_socket_opens(string template)
    {
        var (fetcher, connector, _) = Create(allowLoopbackServer: false);
        var url = new Uri(template.Replace("{port}", _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

        var ex = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchImageAsync(url, TenantA, long.MaxValue, CancellationToken.None));

        Assert.Equal(ErrorCodes.UrlForbidden, ex.Code);
        Assert.False(ex.Transient);
        Assert.Empty(connector.Connects);
        Assert.Empty(connector.Violations);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://10.0.0.1/img.jpg")]
    [InlineData("http://internal.example/img.jpg")]
    [InlineData("http://[::1]:9/img.jpg")]
    public async Task A_redirect_from_an_allowed_server_to_a_forbidden_address_is_refused(string target)
    {
        var (fetcher, connector, _) = Create(allowLoopbackServer: true);
        var url = new Uri(_server.BaseUri, "/redirect/" + Uri.EscapeDataString(target));

        var ex = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchImageAsync(url, TenantA, long.MaxValue, CancellationToken.None));

        Assert.Equal(ErrorCodes.UrlForbidden, ex.Code);
        Assert.All(connector.Connects, e => Assert.Equal(_server.Port, e.Port));
        Assert.Single(connector.Connects);
        Assert.Empty(connector.Violations);
    }

    [Fact]
    public async Task An_allow_listed_loopback_server_is_fetched_and_redirects_within_it_are_followed()
    {
        var (fetcher, connector, _) = Create(allowLoopbackServer: true);

        var direct = await fetcher.FetchImageAsync(new Uri(_server.BaseUri, "/img/0.jpg"), TenantA, long.MaxValue, CancellationToken.None);
        var redirected = await fetcher.FetchImageAsync(new Uri(_server.BaseUri, "/redirect/" + Uri.EscapeDataString("/img/1.jpg")), TenantA, long.MaxValue, CancellationToken.None);

        Assert.Equal(File.ReadAllBytes(JobsTestKit.CocoFiles[0]), direct);
        Assert.Equal(File.ReadAllBytes(JobsTestKit.CocoFiles[1]), redirected);
        Assert.NotEmpty(connector.Connects);
        Assert.Empty(connector.Violations);
    }

    [Fact]
    public async Task An_allow_listed_name_connects_to_the_address_the_hook_resolved()
    {
        var (fetcher, connector, resolver) = Create(allowLoopbackServer: false, extraAllowed: "images.test:{port}");
        var url = new Uri($"http://images.test:{_server.Port}/img/2.jpg");

        var bytes = await fetcher.FetchImageAsync(url, TenantA, long.MaxValue, CancellationToken.None);

        Assert.Equal(File.ReadAllBytes(JobsTestKit.CocoFiles[2]), bytes);
        Assert.Contains("images.test", resolver.Queries);
        Assert.All(connector.Connects, e => Assert.Equal(IPAddress.Loopback, e.Address));
    }

    [Fact]
    public async Task Oversized_and_non_image_content_and_other_schemes_fail_with_clear_codes()
    {
        var (fetcher, _, _) = Create(allowLoopbackServer: true, maxBytes: 1024 * 1024);

        var big = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchImageAsync(new Uri(_server.BaseUri, "/big.jpg"), TenantA, long.MaxValue, CancellationToken.None));
        var text = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchImageAsync(new Uri(_server.BaseUri, "/text.jpg"), TenantA, long.MaxValue, CancellationToken.None));
        var ftp = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchImageAsync(new Uri("ftp://127.0.0.1/x.jpg"), TenantA, long.MaxValue, CancellationToken.None));
        var fileRedirect = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchImageAsync(new Uri(_server.BaseUri, "/redirect/" + Uri.EscapeDataString("file:///etc/passwd")), TenantA, long.MaxValue, CancellationToken.None));

        Assert.Equal(ErrorCodes.UrlTooLarge, big.Code);
        Assert.Equal(ErrorCodes.UrlNotAnImage, text.Code);
        Assert.Equal(ErrorCodes.UrlForbidden, ftp.Code);
        Assert.Equal(ErrorCodes.UrlForbidden, fileRedirect.Code);
    }

    [Theory]
    [InlineData("http://internal.example/img.jpg", "internal.example")]
    [InlineData("https://mixed.example/img.jpg", "mixed.example")]
    public async Task A_refused_url_names_the_host_the_tenant_gave_and_never_the_private_address_it_resolved_to(string url, string host)
    {
        var (fetcher, _, _) = Create(allowLoopbackServer: false);

        var ex = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchImageAsync(new Uri(url), TenantA, long.MaxValue, CancellationToken.None));

        Assert.Equal(ErrorCodes.UrlForbidden, ex.Code);
        Assert.Contains(host, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("10.0.0.1", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("192.168.1.1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tenants_failing_urls_on_a_shared_host_leave_another_tenants_fetches_there_working()
    {
        var (fetcher, _, _) = Create(allowLoopbackServer: true, breakerMinimumThroughput: 4);
        for (var i = 0; i < 20; i++)
        {
            await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchImageAsync(new Uri(_server.BaseUri, $"/down/{i}.jpg"), TenantA, long.MaxValue, CancellationToken.None));
        }

        var refused = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchImageAsync(new Uri(_server.BaseUri, "/img/0.jpg"), TenantA, long.MaxValue, CancellationToken.None));
        Assert.Contains("circuit breaker", refused.Message, StringComparison.Ordinal);

        var bytes = await fetcher.FetchImageAsync(new Uri(_server.BaseUri, "/img/0.jpg"), TenantB, long.MaxValue, CancellationToken.None);
        Assert.Equal(File.ReadAllBytes(JobsTestKit.CocoFiles[0]), bytes);
    }

    [Fact]
    public async Task A_fetched_image_over_the_callers_limit_is_refused_like_an_upload_over_the_plans_limit()
    {
        var (fetcher, _, _) = Create(allowLoopbackServer: true);
        var size = new FileInfo(JobsTestKit.CocoFiles[0]).Length;

        var refused = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchImageAsync(new Uri(_server.BaseUri, "/img/0.jpg"), TenantA, size - 1, CancellationToken.None));
        var fetched = await fetcher.FetchImageAsync(new Uri(_server.BaseUri, "/img/0.jpg"), TenantA, size, CancellationToken.None);

        Assert.Equal(ErrorCodes.UrlTooLarge, refused.Code);
        Assert.False(refused.Transient);
        Assert.Equal(size, fetched.Length);
    }

    [Fact]
    public async Task A_failing_host_trips_its_breaker_so_later_fetches_fail_at_once_as_transient_without_calling_it()
    {
        var (fetcher, _, _) = Create(allowLoopbackServer: true, breakerMinimumThroughput: 4);
        for (var i = 0; i < 4; i++)
        {
            var failed = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchImageAsync(new Uri(_server.BaseUri, $"/down/{i}.jpg"), TenantA, long.MaxValue, CancellationToken.None));
            Assert.True(failed.Transient);
        }

        Assert.Equal(4, _server.DownHits);
        var shortCircuited = await Assert.ThrowsAsync<UrlFetchException>(() => fetcher.FetchImageAsync(new Uri(_server.BaseUri, "/down/9.jpg"), TenantA, long.MaxValue, CancellationToken.None));

        Assert.True(shortCircuited.Transient);
        Assert.Equal(ErrorCodes.UrlFetchFailed, shortCircuited.Code);
        Assert.Contains("circuit breaker", shortCircuited.Message, StringComparison.Ordinal);
        Assert.Equal(4, _server.DownHits);
    }

    private (UrlFetcher Fetcher, LoopbackOnlyConnector Connector, StubResolver Resolver) Create(bool allowLoopbackServer, string? extraAllowed = null, long maxBytes = 0, int breakerMinimumThroughput = 10)
    {
        var resolver = new StubResolver(new Dictionary<string, IPAddress[]>
        {
            ["internal.example"] = [IPAddress.Parse("10.0.0.1")],
            ["metadata.example"] = [IPAddress.Parse("169.254.169.254")],
            ["mixed.example"] = [IPAddress.Parse("93.184.216.34"), IPAddress.Parse("192.168.1.1")],
            ["images.test"] = [IPAddress.Loopback],
        });
        var connector = new LoopbackOnlyConnector();
        var options = new UrlFetchOptions { TimeoutSeconds = 10 };
        if (maxBytes > 0)
        {
            options.MaxBytes = maxBytes;
        }

        if (allowLoopbackServer)
        {
            options.AllowedHosts.Add($"127.0.0.1:{_server.Port}");
        }

        if (extraAllowed is not null)
        {
            options.AllowedHosts.Add(extraAllowed.Replace("{port}", _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        var safe = new SafeConnector(resolver, connector, Options.Create(options), NullLogger<SafeConnector>.Instance);
        var fetcher = new UrlFetcher(safe, new SkiaImagePreprocessor(Options.Create(new PreprocessingOptions())), new OutboundBreakers(NullLogger<OutboundBreakers>.Instance, new OutboundBreakersOptions { MinimumThroughput = breakerMinimumThroughput }), Options.Create(options));
        return (fetcher, connector, resolver);
    }
}
