using Detector.Modules.Common;
using Detector.Modules.Tenancy.Keys;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Tenancy.Admin;

internal sealed record CreateKeyRequest(string? Name);

internal sealed record RotateKeyRequest(int? GraceSeconds);

internal sealed record KeyListResponse(IReadOnlyList<KeyView> Keys);

internal sealed record RotatedKeyView(NewKeyView Key, Guid ReplacedKeyId, DateTimeOffset ReplacedKeyExpiresAt);

internal sealed class CreateKeyValidator : AbstractValidator<CreateKeyRequest>
{
    public CreateKeyValidator() => RuleFor(r => r.Name).MaximumLength(200).WithMessage("name must be at most 200 characters.");
}

internal sealed class RotateKeyValidator : AbstractValidator<RotateKeyRequest>
{
    public const int MaxGraceSeconds = 30 * 24 * 3600;

    public RotateKeyValidator() => RuleFor(r => r.GraceSeconds).InclusiveBetween(0, MaxGraceSeconds).When(r => r.GraceSeconds.HasValue)
        .WithMessage($"grace_seconds must be between 0 and {MaxGraceSeconds}.");
}

/// <summary>Admin: a tenant's API keys. Keys are shown once, when created; listings show only their prefix.</summary>
internal static partial class KeyEndpoints
{
    /// <summary>Default grace of a rotated key: long enough to roll a fleet of clients.</summary>
    public const int DefaultGraceSeconds = 24 * 3600;

    public static async Task<Created<NewKeyView>> Create(Guid id, CreateKeyRequest request, KeyStore keys, ILoggerFactory loggers, CancellationToken ct)
    {
        var (row, key) = await keys.CreateAsync(id, request.Name, ct) ?? throw TenantEndpoints.NotFound(id);
        LogKey(loggers.CreateLogger("Detector.Modules.Tenancy"), "Created", row.Id, row.Prefix, id);
        return TypedResults.Created($"/v1/admin/tenants/{id}/keys", new NewKeyView(row.Id, row.Name, row.Prefix, key, KeyView.Utc(row.CreatedAt)));
    }

    public static async Task<Ok<KeyListResponse>> List(Guid id, KeyStore keys, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        return TypedResults.Ok(new KeyListResponse((await keys.ListAsync(id, ct)).Select(k => KeyView.From(k, now)).ToList()));
    }

    public static async Task<Created<RotatedKeyView>> Rotate(Guid id, Guid keyId, RotateKeyRequest request, KeyStore keys, ILoggerFactory loggers, CancellationToken ct)
    {
        var grace = TimeSpan.FromSeconds(request.GraceSeconds ?? DefaultGraceSeconds);
        var (row, key, oldExpiresAt) = await keys.RotateAsync(id, keyId, grace, ct)
            ?? throw new ProblemException(404, ErrorCodes.NotFound, "Key not found", $"Tenant {id} has no active key {keyId}.");
        LogKey(loggers.CreateLogger("Detector.Modules.Tenancy"), "Rotated", keyId, row.Prefix, id);
        return TypedResults.Created($"/v1/admin/tenants/{id}/keys", new RotatedKeyView(new NewKeyView(row.Id, row.Name, row.Prefix, key, KeyView.Utc(row.CreatedAt)), keyId, KeyView.Utc(oldExpiresAt)));
    }

    public static async Task<NoContent> Revoke(Guid id, Guid keyId, KeyStore keys, ILoggerFactory loggers, CancellationToken ct)
    {
        if (!await keys.RevokeAsync(id, keyId, ct))
        {
            throw new ProblemException(404, ErrorCodes.NotFound, "Key not found", $"Tenant {id} has no key {keyId}.");
        }

        LogKey(loggers.CreateLogger("Detector.Modules.Tenancy"), "Revoked", keyId, "", id);
        return TypedResults.NoContent();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Action} API key {KeyId} {KeyPrefix} of tenant {TenantId}")]
    private static partial void LogKey(ILogger logger, string action, Guid keyId, string keyPrefix, Guid tenantId);
}
