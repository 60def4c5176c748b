using System.Security.Claims;
using System.Text.Encodings.Web;
using Detector.Modules.Common;
using Detector.Modules.Labeling.Storage;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Labeling.Authentication;

/// <summary>
/// <c>X-Labeler-Key</c> authentication: the key's keyed hash looked up among the labelers on every
/// request (no cache, so a deleted labeler's key stops at once on every instance), behind
/// <see cref="LabelerKeyGuard"/> so guessed keys cost no queries. A reviewer gets both roles: a
/// reviewer may also label.
/// </summary>
internal sealed class LabelerKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IKeyHashing hashing,
    LabelerStore labelers,
    LabelerKeyGuard guard)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "LabelerKey";
    private const string RefusalItem = "detector.labeler.refusal";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(LabelerClaims.Header, out var values) || string.IsNullOrWhiteSpace(values.ToString()))
        {
            return AuthenticateResult.NoResult();
        }

        var key = values.ToString().Trim();
        if (key.Length > 256 || values.Count > 1)
        {
            return AuthenticateResult.Fail("Malformed labeler key.");
        }

        var address = Context.Connection.RemoteIpAddress;
        if (guard.RetryAfterSeconds(address) is var wait and > 0)
        {
            LabelingMetrics.LabelerKeyRefusals.WithLabels("address_throttled").Inc();
            Context.Items[RefusalItem] = new DomainException(OutcomeKind.TooManyRequests, ErrorCodes.RateLimited, "Too many unknown keys", "This address sent too many unknown labeler keys; slow down.") { RetryAfterSeconds = wait };
            return AuthenticateResult.Fail("Too many unknown labeler keys from this address.");
        }

        if (!await guard.EnterLookupAsync(Context.RequestAborted))
        {
            LabelingMetrics.LabelerKeyRefusals.WithLabels("lookup_busy").Inc();
            Context.Items[RefusalItem] = new DomainException(OutcomeKind.Overloaded, ErrorCodes.Overloaded, "Busy", "Too many labeler key checks are running; retry shortly.") { RetryAfterSeconds = 1 };
            return AuthenticateResult.Fail("Labeler key checks are saturated.");
        }

        LabelerRow? labeler;
        try
        {
            labeler = await labelers.FindByKeyHashAsync(hashing.Hash(LabelerClaims.KeyPurpose, key), Context.RequestAborted);
        }
        finally
        {
            guard.ExitLookup();
        }

        if (labeler is null)
        {
            guard.RecordFailure(address);
            LabelingMetrics.LabelerKeyRefusals.WithLabels("unknown_key").Inc();
            return AuthenticateResult.Fail("Unknown labeler key.");
        }

        var claims = new List<Claim>
        {
            new(LabelerClaims.LabelerIdClaim, labeler.Id.ToString()),
            new(ClaimTypes.Name, "labeler:" + labeler.Id),
            new(ClaimTypes.Role, LabelerClaims.LabelerRole),
        };
        if (labeler.Role == LabelerClaims.ReviewerRole)
        {
            claims.Add(new Claim(ClaimTypes.Role, LabelerClaims.ReviewerRole));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        ProblemWriter.WriteAsync(Context, Context.Items[RefusalItem] as DomainException ?? new DomainException(OutcomeKind.Unauthenticated, ErrorCodes.Unauthorized, "Unauthorized", $"Send a valid labeler key in the {LabelerClaims.Header} header."));

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ProblemWriter.WriteAsync(Context, new DomainException(OutcomeKind.Forbidden, ErrorCodes.Forbidden, "Forbidden", "This labeler may not use this endpoint (reviewers only)."));
}
