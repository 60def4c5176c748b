using Detector.Modules.Tenancy;
using Detector.Modules.Tenancy.Authentication;
using Microsoft.Extensions.Options;

namespace Detector.Tests.Unit.Tenancy;

public sealed class KeyGuardTests
{
    [Fact]
    public void An_address_gets_its_burst_of_unknown_keys_then_no_more_lookups()
    {
        using var guard = new KeyGuard(Options.Create(new GuardOptions { FailedKeysBurstPerAddress = 5, FailedKeysPerSecondPerAddress = 0.1 }));

        var looked = 0;
        for (var i = 0; i < 50; i++)
        {
            if (guard.MayLookUp("203.0.113.7"))
            {
                looked++;
                guard.RecordFailure("203.0.113.7");
            }
        }

        Assert.Equal(5, looked);
        Assert.True(guard.MayLookUp("198.51.100.1"), "other addresses keep their own budget");
    }

    [Fact]
    public void Known_keys_cost_nothing_so_an_address_is_only_limited_by_its_failures()
    {
        using var guard = new KeyGuard(Options.Create(new GuardOptions { FailedKeysBurstPerAddress = 2 }));

        for (var i = 0; i < 100; i++)
        {
            Assert.True(guard.MayLookUp("203.0.113.8"));
        }
    }

    [Fact]
    public async Task Only_the_configured_number_of_lookups_run_at_once()
    {
        using var guard = new KeyGuard(Options.Create(new GuardOptions { MaxConcurrentKeyLookups = 2 }));

        Assert.True(await guard.EnterLookupAsync(CancellationToken.None));
        Assert.True(await guard.EnterLookupAsync(CancellationToken.None));
        Assert.False(await guard.EnterLookupAsync(CancellationToken.None)); // waits a second, then gives up
        guard.ExitLookup();
        Assert.True(await guard.EnterLookupAsync(CancellationToken.None));
    }
}
