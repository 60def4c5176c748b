namespace Detector.Tests.Integration.Webhooks;

/// <summary>Webhook settings are the Webhooks module's own section; the old Jobs:Webhooks still applies (the other tests configure it so).</summary>
public sealed class WebhooksConfigurationTests
{
    [Fact]
    public async Task Webhook_settings_are_read_from_the_webhooks_section_and_an_invalid_one_refuses_to_start()
    {
        var output = await StartupValidationTests.StartAsync(new(StartupValidationTests.ValidBasics)
        {
            ["Webhooks__MaxAttempts"] = "0",
            ["Webhooks__TimeoutSeconds"] = "100000",
        });

        var line = Assert.Single(output.Split('\n'), l => l.Contains("Invalid configuration", StringComparison.Ordinal));
        Assert.Contains("WebhooksOptions", line, StringComparison.Ordinal);
        Assert.Contains("MaxAttempts", line, StringComparison.Ordinal);
        Assert.Contains("TimeoutSeconds", line, StringComparison.Ordinal);
    }
}
