using System.Threading.Channels;
using Dapper;
using Detector.Modules.Results.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Detector.Modules.Labeling.Storage;

/// <summary>
/// Told by Results when results are deleted (on the request's or retention's path): it only notes
/// the tenant and images for <see cref="ResultDeletionWorker"/>. It holds no store, since the
/// result store holds it.
/// </summary>
internal sealed class ResultDeletions : IResultDeletionListener
{
    private readonly Channel<(Guid Tenant, string[]? Images)> _deleted = Channel.CreateUnbounded<(Guid, string[]?)>();

    public ChannelReader<(Guid Tenant, string[]? Images)> Reader => _deleted.Reader;

    public void ResultsDeleted(Guid tenantId, IReadOnlyCollection<string> images) => _deleted.Writer.TryWrite((tenantId, [.. images]));

    public void TenantErased(Guid tenantId) => _deleted.Writer.TryWrite((tenantId, null));
}

/// <summary>
/// Deleted results take their labeling rows that are not final with them: this worker finds the
/// tenant's items and feedback on the deleted results' images whose result is gone (asked of
/// Results, which knows) and deletes the items not yet final and that feedback. Final items stay:
/// they are reviewed labels, kept for datasets (their images with them, <see cref="TenantLabelingData"/>).
/// </summary>
internal sealed partial class ResultDeletionWorker(ResultDeletions deletions, NpgsqlDataSource dataSource, IResultStore results, ILogger<ResultDeletionWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (tenant, images) in deletions.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await DropAsync(tenant, images, stoppingToken);
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

    internal async Task DropAsync(Guid tenantId, string[]? images, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var named = (await connection.QueryAsync<Guid>(new CommandDefinition(
            """
            SELECT result_id FROM labeling.items WHERE tenant_id = @tenantId AND state <> 'final' AND (@all OR image_sha256 = ANY(@images::char(64)[]))
            UNION
            SELECT result_id FROM labeling.feedback WHERE tenant_id = @tenantId AND (@all OR image_sha256 = ANY(@images::char(64)[]) OR image_sha256 IS NULL)
            """, new { tenantId, all = images is null, images = images ?? [] }, cancellationToken: ct))).AsList();
        if (named.Count == 0)
        {
            return;
        }

        var alive = await results.GetManyAsync(tenantId, named, ct);
        var gone = named.Where(id => !alive.ContainsKey(id)).ToArray();
        await connection.ExecuteAsync(new CommandDefinition(
            """
            DELETE FROM labeling.items WHERE tenant_id = @tenantId AND state <> 'final' AND result_id = ANY(@gone);
            DELETE FROM labeling.feedback WHERE tenant_id = @tenantId AND result_id = ANY(@gone);
            """, new { tenantId, gone }, cancellationToken: ct));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropping the labeling rows of deleted results failed; they stay until the tenant's next deletion")]
    private static partial void LogDropFailed(ILogger logger, Exception exception);
}
