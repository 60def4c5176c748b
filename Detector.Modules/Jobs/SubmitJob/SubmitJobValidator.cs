using Detector.Modules.Outbound.Contracts;
using FluentValidation;
using Detector.Modules.Detection.Contracts;
using Detector.Modules.Webhooks.Contracts;

namespace Detector.Modules.Jobs.SubmitJob;

internal sealed class SubmitJobValidator : AbstractValidator<SubmitJobRequest>
{
    public SubmitJobValidator(IWebhookSecrets webhooks)
    {
        Include(new DetectionQueryValidator());
        RuleFor(r => r.Priority).Must(p => p is "high" or "normal" or "low").When(r => r.Priority is not null)
            .WithMessage("priority must be high, normal or low.");
        RuleFor(r => r.CallbackUrl).Must(BeFetchable).When(r => r.CallbackUrl is not null)
            .WithMessage("callback_url must be an absolute http or https URL of at most 2048 characters.");
        RuleFor(r => r.CallbackUrl).Must(_ => webhooks.MissingConfiguration is null).When(r => r.CallbackUrl is not null)
            .WithErrorCode(Common.ErrorCodes.WebhooksNotConfigured)
            .WithMessage(_ => $"callback_url needs {webhooks.MissingConfiguration} to be configured on the server.");
    }

    /// <summary>An absolute http(s) URL without credentials or control characters (a NUL once reached PostgreSQL as a 503).</summary>
    public static bool BeFetchable(string? url) =>
        url is { Length: <= 2048 } && !url.AsSpan().ContainsAnyInRange('\0', '\x1f') && !url.Contains('\x7f', StringComparison.Ordinal)
        && Uri.TryCreate(url, UriKind.Absolute, out var uri) && FetchableUrl.IsFetchable(uri);
}
