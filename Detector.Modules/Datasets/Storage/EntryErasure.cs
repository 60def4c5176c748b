using Dapper;
using Detector.Modules.Common;
using Detector.Modules.Datasets.ExportVersion;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Detector.Modules.Datasets.Storage;

/// <summary>Why an entry was erased.</summary>
internal static class ErasedReasons
{
    public const string TenantErased = "tenant_erased";
    public const string ImageDeleted = "image_deleted";
}

/// <summary>
/// Erase wins over immutability: an entry whose image its tenant lost (erase, delete, retention)
/// keeps its ordinal and split, and loses its tenant, image and annotations; its versions keep
/// their ids, count it as erased, and their materialized exports (which hold the image) go.
/// </summary>
internal sealed partial class EntryErasure(NpgsqlDataSource dataSource, WorkFolders work, ILogger<EntryErasure> logger)
{
    public Task<long> EraseTenantAsync(Guid tenantId, CancellationToken ct) =>
        EraseAsync("tenant_id = @tenantId", new { tenantId, reason = ErasedReasons.TenantErased }, ErasedReasons.TenantErased, ct);

    public Task<long> EraseImageAsync(Guid tenantId, string sha256, CancellationToken ct) =>
        EraseAsync("tenant_id = @tenantId AND image_sha256 = @sha256", new { tenantId, sha256, reason = ErasedReasons.ImageDeleted }, ErasedReasons.ImageDeleted, ct);

    public async Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT DISTINCT tenant_id FROM datasets.entries WHERE tenant_id IS NOT NULL", cancellationToken: ct))];
    }

    /// <summary>Which of <paramref name="sha256s"/> an entry of the tenant still holds.</summary>
    public async Task<IReadOnlySet<string>> HeldAsync(Guid tenantId, IReadOnlyCollection<string> sha256s, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var held = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT image_sha256 FROM datasets.entries WHERE tenant_id = @tenantId AND image_sha256 = ANY(@sha256s::char(64)[])",
            new { tenantId, sha256s = sha256s.ToArray() },
            cancellationToken: ct));
        return held.ToHashSet(StringComparer.Ordinal);
    }

    private async Task<long> EraseAsync(string where, object parameters, string reason, CancellationToken ct)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("datasets.erase_entries");
        activity?.SetTag("detector.erased_reason", reason);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var versions = (await connection.QueryAsync<string>(new CommandDefinition(
            $"""
            UPDATE datasets.entries SET tenant_id = NULL, image_sha256 = NULL, annotations = NULL, erased_at = now(), erased_reason = @reason
            WHERE {where} AND erased_at IS NULL
            RETURNING version_id
            """, parameters, cancellationToken: ct))).ToList();
        if (versions.Count == 0)
        {
            return 0;
        }

        foreach (var version in versions.Distinct(StringComparer.Ordinal))
        {
            work.Remove(version);
        }

        DatasetsMetrics.EntriesErased.WithLabels(reason).Inc(versions.Count);
        activity?.SetTag("detector.erased_entries", versions.Count);
        LogErased(logger, versions.Count, versions.Distinct(StringComparer.Ordinal).Count(), reason);
        return versions.Count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Erased {Entries} dataset entries in {Versions} version(s): {Reason}; the versions keep their ids and are incomplete")]
    private static partial void LogErased(ILogger logger, int entries, int versions, string reason);
}
