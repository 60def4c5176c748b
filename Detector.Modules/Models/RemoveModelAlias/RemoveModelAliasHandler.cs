using Dapper;
using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Models.Registry;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Detector.Modules.Models.RemoveModelAlias;

/// <summary>Removes an alias (ends a canary or a shadow). <c>production</c> is never removed: a model without it serves nothing unpinned; move it instead.</summary>
internal sealed partial class RemoveModelAliasHandler(NpgsqlDataSource dataSource, IAuditTrail audit, ILogger<RemoveModelAliasHandler> logger)
{
    public async Task HandleAsync(string model, string alias, string? reason, string actor, CancellationToken ct)
    {
        if (alias == ModelAliases.Production)
        {
            throw new DomainException(OutcomeKind.Conflict, ErrorCodes.AliasProtected, "Alias cannot be removed", "production is what the model serves; move it to another version instead.");
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM models.aliases WHERE model = @model AND alias = @alias)", new { model, alias }, tx, cancellationToken: ct));
        if (!exists)
        {
            throw new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Alias not found", $"Model '{model}' has no alias '{alias}'.");
        }

        var from = await AliasMoves.MoveAsync(connection, tx, model, alias, null, null, actor, reason, ct);
        await tx.CommitAsync(ct);
        LogRemoved(logger, model, alias, from.Version, actor);
        audit.Record(new AuditEvent("model.alias.remove", Target: $"{model}@{alias}", Status: StatusCodes.Status204NoContent, Detail: $"from={from.Version}"), logger);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Alias {Model}@{Alias} (was {From}) removed by {Actor}")]
    private static partial void LogRemoved(ILogger logger, string model, string alias, string? from, string actor);
}
