using System.Net;
using System.Text;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>
/// The unknown-key throttle counts a client as its IPv4 address or its IPv6 /64 (one host owns a
/// whole /64), and the dashboard's basic-auth password is a guess like any key: once an address
/// is throttled, nothing it presents is checked, not even the right admin key.
/// </summary>
public sealed class KeyGuessingTests
{
    private const int Burst = 5;

    [Fact]
    public async Task An_ipv6_client_rotating_addresses_within_its_64_is_throttled_as_one_client_and_its_neighbour_64_is_not()
    {
        await using var host = Start();
        using var client = host.Client();

        for (var i = 0; i < Burst; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await GuessAsync(client, $"2001:db8:1:2:{Random.Shared.Next(1, 0xffff):x}::{i + 1:x}"));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await GuessAsync(client, "2001:db8:1:2:ffff:ffff:ffff:fffe"));
        Assert.Equal(HttpStatusCode.Unauthorized, await GuessAsync(client, "2001:db8:1:3::1"));

        // IPv4 stays per address, and an IPv4-mapped IPv6 address is that IPv4 address.
        for (var i = 0; i < Burst; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await GuessAsync(client, "198.51.100.7"));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await GuessAsync(client, "::ffff:198.51.100.7"));
        Assert.Equal(HttpStatusCode.Unauthorized, await GuessAsync(client, "198.51.100.8"));
    }

    [Fact]
    public async Task Basic_auth_guesses_at_the_dashboard_are_throttled_so_even_the_right_password_is_not_checked_from_that_address()
    {
        await using var host = Start();
        using var client = host.Client();
        const string Guesser = "203.0.113.9";

        for (var i = 0; i < Burst; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await DashboardAsync(client, Guesser, "admin:guess-" + i));
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await DashboardAsync(client, Guesser, "admin:" + TenancyHost.AdminKey));
        Assert.Equal(HttpStatusCode.OK, await DashboardAsync(client, "203.0.113.10", "admin:" + TenancyHost.AdminKey));

        // And the admin key in X-Api-Key from the throttled address is refused without being checked.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/admin/tenants");
        request.Headers.Add("X-Forwarded-For", Guesser);
        request.Headers.Add("X-Api-Key", TenancyHost.AdminKey);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
    }

    private static TenancyHost Start()
    {
        var host = new TenancyHost(new()
        {
            ["Transport:TrustedProxies:0"] = "127.0.0.1",
            ["Tenancy:Guards:FailedKeysBurstPerAddress"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tenancy:Guards:FailedKeysPerSecondPerAddress"] = "0.1", // no new guess is earned during the test
        });
        host.Start();
        return host;
    }

    private static async Task<HttpStatusCode> GuessAsync(HttpClient client, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/results");
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        request.Headers.Add("X-Api-Key", "dk_" + Guid.NewGuid().ToString("N"));
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> DashboardAsync(HttpClient client, string forwardedFor, string credentials)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/hangfire");
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
