using System.Threading.Channels;
using Dapper;
using Detector.Modules.Results.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Detector.Modules.Labeling.Storage;

/// <summary>
/// Told by Results when results are deleted (on the request's or retention's path): it only notes
/// the tenant and the deleted results' ids (none for a tenant erase) for
/// <see cref="ResultDeletionWorker"/>. It holds no store, since the result store holds it.
/// </summary>
internal sealed class ResultDeletions : IResultDeletionListener
{
    private readonly Channel<(Guid Tenant, Guid[]? ResultIds)> _deleted = Channel.CreateUnbounded<(Guid, Guid[]?)>();

    public ChannelReader<(Guid Tenant, Guid[]? ResultIds)> Reader => _deleted.Reader;

    public void ResultsDeleted(Guid tenantId, IReadOnlyCollection<Guid> resultIds, IReadOnlyCollection<string> images) =>
        _deleted.Writer.TryWrite((tenantId, [.. resultIds]));

    public void TenantErased(Guid tenantId) => _deleted.Writer.TryWrite((tenantId, null));
}

/// <summary>
/// Deleted results take their labeling rows that are not final with them: this worker deletes the
/// items not yet final and the feedback of the results Results named. After a tenant erase, which
/// names none, it finds the tenant's items and feedback whose result is gone (asked of Results,
/// which knows: a result written after the erase keeps its rows). Final items stay: they are
/// reviewed labels, kept for datasets (their images with them, <see cref="TenantLabelingData"/>).
/// </summary>
internal sealed partial class ResultDeletionWorker(ResultDeletions deletions, NpgsqlDataSource dataSource, IResultStore results, ILogger<ResultDeletionWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (tenant, resultIds) in deletions.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await DropAsync(tenant, resultIds ?? await GoneAsync(tenant, stoppingToken), stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogDropFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task DropAsync(Guid tenantId, Guid[] resultIds, CancellationToken ct)
    {
        if (resultIds.Length == 0)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            DELETE FROM labeling.items WHERE tenant_id = @tenantId AND state <> 'final' AND result_id = ANY(@resultIds);
            DELETE FROM labeling.feedback WHERE tenant_id = @tenantId AND result_id = ANY(@resultIds);
            """, new { tenantId, resultIds }, cancellationToken: ct));
    }

    /// <summary>The results the tenant's not-final items and feedback name that Results no longer holds.</summary>
    private async Task<Guid[]> GoneAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var named = (await connection.QueryAsync<Guid>(new CommandDefinition(
            """
            SELECT result_id FROM labeling.items WHERE tenant_id = @tenantId AND state <> 'final'
            UNION
            SELECT result_id FROM labeling.feedback WHERE tenant_id = @tenantId
            """, new { tenantId }, cancellationToken: ct))).AsList();
        if (named.Count == 0)
        {
            return [];
        }

        var alive = await results.GetManyAsync(tenantId, named, ct);
        return [.. named.Where(id => !alive.ContainsKey(id))];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropping the labeling rows of deleted results failed; they stay until a tenant erase")]
    private static partial void LogDropFailed(ILogger logger, Exception exception);
}
