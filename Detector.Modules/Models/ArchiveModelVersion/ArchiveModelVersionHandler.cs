using Dapper;
using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Detector.Modules.Models.ArchiveModelVersion;

/// <summary>
/// Archives a version no alias names: every instance unloads it (freeing its sessions) and it is
/// never served again, pinned or not; its record and history stay. Idempotent.
/// </summary>
internal sealed partial class ArchiveModelVersionHandler(NpgsqlDataSource dataSource, IAuditTrail audit, ILogger<ArchiveModelVersionHandler> logger)
{
    public async Task HandleAsync(string model, string version, string actor, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var state = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT state FROM models.versions WHERE model = @model AND version = @version FOR UPDATE", new { model, version }, tx, cancellationToken: ct));
        if (state is null)
        {
            throw new DomainException(OutcomeKind.NotFound, ErrorCodes.VersionNotFound, "Version not found", $"Model '{model}' has no version '{version}'.");
        }

        var aliases = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT alias FROM models.aliases WHERE model = @model AND version = @version ORDER BY alias", new { model, version }, tx, cancellationToken: ct))).ToList();
        if (aliases.Count > 0)
        {
            throw new DomainException(OutcomeKind.Conflict, ErrorCodes.VersionAliased, "Version is aliased", $"'{model}@{version}' is named by {string.Join(", ", aliases)}; move those aliases first.");
        }

        if (state == "archived")
        {
            return;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE models.versions SET state = 'archived', state_reason = @reason, state_at = now() WHERE model = @model AND version = @version",
            new { model, version, reason = "archived by " + actor }, tx, cancellationToken: ct));
        await Registry.RegistryStore.NotifyAsync(connection, tx, model, ct);
        await tx.CommitAsync(ct);
        LogArchived(logger, model, version, actor);
        audit.Record(new AuditEvent("model.version.archive", Target: $"{model}@{version}", Status: StatusCodes.Status204NoContent), logger);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Version {Model}@{Version} archived by {Actor}")]
    private static partial void LogArchived(ILogger logger, string model, string version, string actor);
}
