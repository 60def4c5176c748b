using Dapper;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Models.Contracts;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Detector.Modules.Models.Registry;

/// <summary>Alias changes decided by other modules, each one transaction with its history rows, then audited.</summary>
internal sealed partial class AliasChanges(NpgsqlDataSource dataSource, IAuditTrail audit, ILogger<AliasChanges> logger) : IAliasChanges
{
    public async Task<bool> SetShareAsync(string model, string aliasName, string version, double share, string actor, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        if (!await NamesAsync(connection, tx, model, aliasName, version, cancellationToken))
        {
            return false;
        }

        await AliasMoves.MoveAsync(connection, tx, model, aliasName, version, share, actor, reason, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        LogShare(logger, model, aliasName, version, share, actor, reason);
        audit.Record(new AuditEvent("model.alias.share", Target: $"{model}@{aliasName}", Detail: FormattableString.Invariant($"version={version} share={share:0.###}"), Actor: actor), logger);
        return true;
    }

    public async Task<string?> PromoteAsync(string model, string aliasName, string? version, string actor, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var current = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT version FROM models.aliases WHERE model = @model AND alias = @aliasName FOR UPDATE", new { model, aliasName }, tx, cancellationToken: cancellationToken));
        if (aliasName == ModelAliases.Production || current is null || (version is not null && current != version))
        {
            return null;
        }

        version = current;

        var from = await AliasMoves.MoveAsync(connection, tx, model, ModelAliases.Production, version, 0, actor, reason, cancellationToken);
        await AliasMoves.MoveAsync(connection, tx, model, aliasName, null, null, actor, reason, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        LogPromoted(logger, model, aliasName, version, from.Version, actor, reason);
        audit.Record(new AuditEvent("model.alias.promote", Target: $"{model}@{ModelAliases.Production}", Detail: $"from={from.Version ?? "-"} to={version} was={aliasName}", Actor: actor), logger);
        return version;
    }

    private static Task<bool> NamesAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string model, string alias, string version, CancellationToken ct) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM models.aliases WHERE model = @model AND alias = @alias AND version = @version)",
            new { model, alias, version }, tx, cancellationToken: ct));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alias {Model}@{Alias} ({Version}) share set to {Share} by {Actor}: {Reason}")]
    private static partial void LogShare(ILogger logger, string model, string alias, string version, double share, string actor, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Promoted {Model}@{Alias} ({Version}) to production (was {From}) by {Actor}: {Reason}")]
    private static partial void LogPromoted(ILogger logger, string model, string alias, string version, string? from, string actor, string reason);
}

/// <summary>Where no registry is configured (the eval command), no alias changes.</summary>
internal sealed class NoAliasChanges : IAliasChanges
{
    public Task<bool> SetShareAsync(string model, string aliasName, string version, double share, string actor, string reason, CancellationToken cancellationToken) => Task.FromResult(false);

    public Task<string?> PromoteAsync(string model, string aliasName, string? version, string actor, string reason, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
}
