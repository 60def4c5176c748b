using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Webhooks;

/// <summary>Signed completion webhooks: the master key tenants' secrets derive from, and the delivery policy (Webhooks; formerly Jobs:Webhooks).</summary>
internal sealed class WebhooksOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>The section's name before webhooks had their own module; still read, with a warning.</summary>
    public const string LegacySectionName = "Jobs:Webhooks";

    /// <summary>The master key tenants' webhook secrets are derived from (never signs itself); callbacks are refused at submission when unset.</summary>
    [MinLength(16)]
    public string? SigningSecret { get; set; }

    /// <summary>Delivery attempts in all; with the defaults 1 min doubling to 1 h, 12 attempts span about 7 hours.</summary>
    [Range(1, 1000)]
    public int MaxAttempts { get; set; } = 12;

    [Range(0.01, 86_400)]
    public double InitialDelaySeconds { get; set; } = 60;

    [Range(0.01, 86_400)]
    public double MaxDelaySeconds { get; set; } = 3600;

    /// <summary>How long one delivery attempt may take (connect, send, response headers).</summary>
    [Range(0.1, 600)]
    public double TimeoutSeconds { get; set; } = 10;

    /// <summary>The configuration key of <see cref="SigningSecret"/>, for the answers that say it is missing.</summary>
    public static string SigningSecretKey => SectionName + ":" + nameof(SigningSecret);
}
