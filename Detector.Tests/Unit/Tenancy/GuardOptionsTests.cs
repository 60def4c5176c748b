using System.ComponentModel.DataAnnotations;
using Detector.Modules.Tenancy;
using Microsoft.Extensions.Configuration;

namespace Detector.Tests.Unit.Tenancy;

/// <summary>The guards' settings are checked at start-up like every option, the stale-claim window included.</summary>
public sealed class GuardOptionsTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        var options = new GuardOptions();

        Assert.True(Validator.TryValidateObject(options, new ValidationContext(options), [], validateAllProperties: true));
    }

    [Theory]
    [InlineData("0", "24")]
    [InlineData("1441", "720")]
    [InlineData("60", "1")]
    [InlineData("1440", "24")]
    public void A_stale_claim_window_out_of_range_or_not_shorter_than_a_records_life_is_refused(string staleClaimMinutes, string idempotencyHours)
    {
        var options = new GuardOptions();
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["IdempotencyStaleClaimMinutes"] = staleClaimMinutes,
            ["IdempotencyHours"] = idempotencyHours,
        }).Build().Bind(options);

        var results = new List<ValidationResult>();
        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        Assert.Contains(results, r => r.MemberNames.Contains("IdempotencyStaleClaimMinutes"));
    }
}
