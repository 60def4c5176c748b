using Dapper;
using Npgsql;

namespace Detector.Modules.Models.Registry;

/// <summary>
/// One move of an alias, inside the caller's transaction: the alias row (set, or removed when
/// the new version is null) and its history row. The alias row is locked first, so
/// concurrent moves of one alias are ordered and each history row names what it replaced.
/// </summary>
internal static class AliasMoves
{
    /// <summary>
    /// Moves the alias, and sets its traffic share when <paramref name="share"/> is given (a new
    /// alias takes none); returns what it pointed at before (version null: it was new).
    /// </summary>
    public static async Task<(string? Version, double Share)> MoveAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string model, string alias, string? toVersion, double? share, string actor, string? reason, CancellationToken ct)
    {
        var from = await connection.QuerySingleOrDefaultAsync<AliasRow>(new CommandDefinition(
            "SELECT version, share FROM models.aliases WHERE model = @model AND alias = @alias FOR UPDATE",
            new { model, alias }, tx, cancellationToken: ct));
        var toShare = toVersion is null ? (double?)null : share ?? from?.Share ?? 0;
        if (from?.Version == toVersion && from?.Share == toShare)
        {
            return (from?.Version, from?.Share ?? 0);
        }

        if (toVersion is null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM models.aliases WHERE model = @model AND alias = @alias", new { model, alias }, tx, cancellationToken: ct));
        }
        else
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO models.aliases (model, alias, version, share, moved_by) VALUES (@model, @alias, @toVersion, @toShare, @actor)
                ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version, share = excluded.share, moved_at = now(), moved_by = excluded.moved_by
                """,
                new { model, alias, toVersion, toShare, actor }, tx, cancellationToken: ct));
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO models.alias_history (model, alias, from_version, to_version, from_share, to_share, actor, reason)
            VALUES (@model, @alias, @fromVersion, @toVersion, @fromShare, @toShare, @actor, @reason)
            """,
            new { model, alias, fromVersion = from?.Version, toVersion, fromShare = from?.Share, toShare, actor, reason }, tx, cancellationToken: ct));
        await RegistryStore.NotifyAsync(connection, tx, model, ct);
        return (from?.Version, from?.Share ?? 0);
    }
}

/// <summary>An alias row as read before a move.</summary>
internal sealed record AliasRow(string Version, double Share);
