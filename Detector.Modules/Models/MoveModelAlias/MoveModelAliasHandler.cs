using Dapper;
using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Models.Registry;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Detector.Modules.Models.MoveModelAlias;

/// <summary>
/// Moves an alias to an active version (a promotion, a rollback, a new canary). Instances follow
/// within moments through the change feed, and each keeps serving the alias's previous version
/// until the new one is warm there.
/// </summary>
internal sealed partial class MoveModelAliasHandler(NpgsqlDataSource dataSource, IAuditTrail audit, ILogger<MoveModelAliasHandler> logger)
{
    public async Task<AliasView> HandleAsync(string model, string alias, string version, double? share, string? reason, string actor, CancellationToken ct)
    {
        if (!RegistryNames.Alias().IsMatch(alias))
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.ValidationFailed, "Invalid alias", "An alias is 1-32 characters of a-z, 0-9, '_', '-', starting with a letter.");
        }

        if (alias == ModelAliases.Production && share is > 0)
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.ValidationFailed, "Invalid share", "production takes the traffic the other aliases leave; give shares to those.");
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Every alias of the model locked: two share changes at once cannot together pass 100 %.
        var others = await connection.QueryAsync<(string Alias, double Share)>(new CommandDefinition(
            "SELECT alias, share FROM models.aliases WHERE model = @model ORDER BY alias FOR UPDATE", new { model }, tx, cancellationToken: ct));
        var rest = others.Where(o => o.Alias != alias).Sum(o => o.Share);
        var mine = share ?? others.Where(o => o.Alias == alias).Select(o => o.Share).FirstOrDefault();
        if (rest + mine > 1 + 1e-9)
        {
            throw new DomainException(OutcomeKind.Conflict, ErrorCodes.SharesExceedOne, "Shares exceed the traffic", $"The other aliases of '{model}' take {rest:P0} of its traffic; '{alias}' can take at most {1 - rest:P0}.");
        }

        var state = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT state FROM models.versions WHERE model = @model AND version = @version FOR SHARE", new { model, version }, tx, cancellationToken: ct));
        if (state is null)
        {
            throw new DomainException(OutcomeKind.NotFound, ErrorCodes.VersionNotFound, "Version not found", $"Model '{model}' has no version '{version}'.");
        }

        if (state != "active")
        {
            throw new DomainException(OutcomeKind.Conflict, ErrorCodes.VersionNotActive, "Version not active", $"Version '{model}@{version}' is {state} and cannot be served.");
        }

        if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM models.versions WHERE model = @model AND version = @alias)", new { model, alias }, tx, cancellationToken: ct)))
        {
            throw new DomainException(OutcomeKind.Conflict, ErrorCodes.VersionExists, "Alias names a version", $"'{alias}' is a version label of '{model}'; an alias needs another name.");
        }

        var from = await AliasMoves.MoveAsync(connection, tx, model, alias, version, share, actor, reason, ct);
        await tx.CommitAsync(ct);
        LogMoved(logger, model, alias, from.Version, version, mine, actor);
        audit.Record(new AuditEvent("model.alias.move", Target: $"{model}@{alias}", Status: StatusCodes.Status200OK, Detail: FormattableString.Invariant($"from={from.Version ?? "-"} to={version} share={mine:0.###}")), logger);
        return new AliasView(model, alias, version, mine, from.Version, from.Share);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Alias {Model}@{Alias} moved from {From} to {To} with share {Share} by {Actor}")]
    private static partial void LogMoved(ILogger logger, string model, string alias, string? from, string to, double share, string actor);
}
