using System.Net;
using Detector.Modules.Outbound;
using Detector.Modules.Outbound.UrlFetch;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;

namespace Detector.Tests.Unit.Jobs;

public sealed class OutboundBreakersTests
{
    private const int MinimumThroughput = 4;

    private static readonly Guid TenantA = Guid.Parse("0193a000-0000-7000-8000-00000000000a");
    private static readonly Guid TenantB = Guid.Parse("0193a000-0000-7000-8000-00000000000b");

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-29T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private OutboundBreakers Breakers(int maxHosts = 4096) => new(NullLogger<OutboundBreakers>.Instance, new OutboundBreakersOptions { MinimumThroughput = MinimumThroughput, MaxHosts = maxHosts }, _time);

    private static Uri Host(int i) => new($"https://host-{i}.example/image.jpg");

    private static Task<HttpResponseMessage> Answer(HttpStatusCode status, ref int calls)
    {
        calls++;
        return Task.FromResult(new HttpResponseMessage(status));
    }

    [Fact]
    public async Task A_host_failing_half_its_calls_is_not_called_while_its_breaker_is_open()
    {
        var breakers = Breakers();
        var calls = 0;
        for (var i = 0; i < MinimumThroughput; i++)
        {
            using var _ = await breakers.SendAsync("fetch", TenantA, Host(1), _ => Answer(HttpStatusCode.BadGateway, ref calls), CancellationToken.None);
        }

        await Assert.ThrowsAsync<BrokenCircuitException>(() => breakers.SendAsync("fetch", TenantA, Host(1), _ => Answer(HttpStatusCode.OK, ref calls), CancellationToken.None));
        Assert.Equal(MinimumThroughput, calls);

        // Another host, and the same host for another purpose, are not affected.
        using var other = await breakers.SendAsync("fetch", TenantA, Host(2), _ => Answer(HttpStatusCode.OK, ref calls), CancellationToken.None);
        using var webhook = await breakers.SendAsync("webhook", TenantA, Host(1), _ => Answer(HttpStatusCode.OK, ref calls), CancellationToken.None);
        Assert.Equal(MinimumThroughput + 2, calls);
    }

    [Fact]
    public async Task One_tenants_failures_on_a_shared_host_do_not_open_the_breaker_of_another_tenant_there()
    {
        var breakers = Breakers();
        var calls = 0;
        for (var i = 0; i < MinimumThroughput * 5; i++)
        {
            // Tenant A's own paths on the shared host fail (its origin is down, or it is probing).
            try
            {
                using var _ = await breakers.SendAsync("fetch", TenantA, Host(1), _ => Answer(HttpStatusCode.BadGateway, ref calls), CancellationToken.None);
            }
            catch (BrokenCircuitException)
            {
            }
        }

        await Assert.ThrowsAsync<BrokenCircuitException>(() => breakers.SendAsync("fetch", TenantA, Host(1), _ => Answer(HttpStatusCode.OK, ref calls), CancellationToken.None));
        var before = calls;
        using var b = await breakers.SendAsync("fetch", TenantB, Host(1), _ => Answer(HttpStatusCode.OK, ref calls), CancellationToken.None);
        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        Assert.Equal(before + 1, calls);
    }

    [Fact]
    public async Task Breakers_of_idle_hosts_are_forgotten_once_there_are_more_hosts_than_the_cap()
    {
        var breakers = Breakers(maxHosts: 4);
        var calls = 0;
        for (var i = 0; i < 10; i++)
        {
            using var _ = await breakers.SendAsync("fetch", TenantA, Host(i), _ => Answer(HttpStatusCode.OK, ref calls), CancellationToken.None);
        }

        Assert.Equal(10, breakers.HostCount); // none idle yet: nothing to forget

        _time.Advance(TimeSpan.FromMinutes(2));
        using var next = await breakers.SendAsync("fetch", TenantA, Host(100), _ => Answer(HttpStatusCode.OK, ref calls), CancellationToken.None);

        Assert.Equal(1, breakers.HostCount);
    }

    [Fact]
    public async Task An_open_breaker_is_kept_through_the_sweep_so_a_host_that_is_down_stays_broken()
    {
        var breakers = Breakers(maxHosts: 2);
        var calls = 0;
        for (var i = 0; i < MinimumThroughput; i++)
        {
            using var _ = await breakers.SendAsync("fetch", TenantA, Host(1), _ => Answer(HttpStatusCode.ServiceUnavailable, ref calls), CancellationToken.None);
        }

        for (var i = 2; i < 6; i++)
        {
            using var _ = await breakers.SendAsync("fetch", TenantA, Host(i), _ => Answer(HttpStatusCode.OK, ref calls), CancellationToken.None);
        }

        _time.Advance(TimeSpan.FromMinutes(2));
        using (await breakers.SendAsync("fetch", TenantA, Host(100), _ => Answer(HttpStatusCode.OK, ref calls), CancellationToken.None))
        {
        }

        Assert.Equal(2, breakers.HostCount); // the open host and the new one

        // Past its break the kept breaker lets one probe through; the probe fails and it opens again
        // at once. A forgotten breaker would have let the next call through as well.
        using (await breakers.SendAsync("fetch", TenantA, Host(1), _ => Answer(HttpStatusCode.ServiceUnavailable, ref calls), CancellationToken.None))
        {
        }

        var before = calls;
        await Assert.ThrowsAsync<BrokenCircuitException>(() => breakers.SendAsync("fetch", TenantA, Host(1), _ => Answer(HttpStatusCode.OK, ref calls), CancellationToken.None));
        Assert.Equal(before, calls);
    }

    [Fact]
    public async Task The_breakers_take_their_threshold_and_break_from_the_outbound_breakers_section()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Outbound:Breakers:MinimumThroughput"] = "2",
            ["Outbound:Breakers:BreakSeconds"] = "5",
        });
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.AddOutbound();
        using var host = builder.Build();
        var breakers = host.Services.GetRequiredService<OutboundBreakers>();
        var calls = 0;
        for (var i = 0; i < 2; i++)
        {
            using var _ = await breakers.SendAsync("fetch", TenantA, Host(1), _ => Answer(HttpStatusCode.BadGateway, ref calls), CancellationToken.None);
        }

        // Two failures of two calls open it (the default needs ten calls)...
        await Assert.ThrowsAsync<BrokenCircuitException>(() => breakers.SendAsync("fetch", TenantA, Host(1), _ => Answer(HttpStatusCode.OK, ref calls), CancellationToken.None));

        // ...for five seconds (the default is thirty): then a call goes through again.
        _time.Advance(TimeSpan.FromSeconds(6));
        using var after = await breakers.SendAsync("fetch", TenantA, Host(1), _ => Answer(HttpStatusCode.OK, ref calls), CancellationToken.None);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(3, calls);
    }
}
