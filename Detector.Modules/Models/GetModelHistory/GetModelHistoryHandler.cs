using Dapper;
using Detector.Modules.Common;
using Npgsql;

namespace Detector.Modules.Models.GetModelHistory;

/// <summary>Every move of the model's aliases, oldest first (the last 1,000): who served what, from when, and why.</summary>
internal sealed class GetModelHistoryHandler(NpgsqlDataSource dataSource)
{
    public async Task<ModelHistoryResponse> HandleAsync(string model, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT EXISTS (SELECT 1 FROM models.models WHERE name = @model)", new { model }, cancellationToken: ct)))
        {
            throw new DomainException(OutcomeKind.NotFound, ErrorCodes.UnknownModel, "Unknown model", $"No model '{model}' is registered.");
        }

        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            """
            SELECT id, alias, from_version AS FromVersion, to_version AS ToVersion, from_share AS FromShare, to_share AS ToShare, actor, reason, at FROM (
                SELECT * FROM models.alias_history WHERE model = @model ORDER BY id DESC LIMIT 1000) recent
            ORDER BY id
            """,
            new { model }, cancellationToken: ct));
        return new ModelHistoryResponse(model, [.. rows.Select(r => new AliasMoveView(r.Id, r.Alias, r.FromVersion, r.ToVersion, r.FromShare, r.ToShare, r.Actor, r.Reason, new DateTimeOffset(DateTime.SpecifyKind(r.At, DateTimeKind.Utc))))]);
    }

    private sealed record Row(long Id, string Alias, string? FromVersion, string? ToVersion, double? FromShare, double? ToShare, string Actor, string? Reason, DateTime At);
}
