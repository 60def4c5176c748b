using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Compliance.Audit;

/// <summary>
/// Anchors the chain outside the database: at start and every Compliance:AuditHeadLogMinutes, the
/// head (seq:hash) goes to the service log (shipped and kept elsewhere) and to
/// <c>detector_audit_head_seq</c>. Whoever can rewrite the table can cut its tail, leaving a shorter
/// valid chain; a head recorded here, given back to <c>audit verify --expect-head</c>, shows it.
/// </summary>
internal sealed partial class AuditHeadLog(NpgsqlDataSource dataSource, TimeProvider time, IOptions<ComplianceOptions> options, ILogger<AuditHeadLog> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMinutes(options.Value.AuditHeadLogMinutes);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await LogHeadAsync(stoppingToken);
                await Task.Delay(interval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task LogHeadAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var heads = (await connection.QueryAsync<(long Seq, byte[] Hash)>(new CommandDefinition(
                "SELECT seq, hash FROM audit.entries ORDER BY seq DESC LIMIT 1", cancellationToken: ct))).AsList();
            foreach (var h in heads)
            {
                LogHead(logger, new AuditHead(h.Seq, AuditChain.Hex(h.Hash)).ToString());
                ComplianceMetrics.AuditHeadSeq.Set(h.Seq);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            // The next round tries again; a missed anchor only widens the window it covers.
            LogFailed(logger, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit chain head {AuditHead}")]
    private static partial void LogHead(ILogger logger, string auditHead);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the audit chain head: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
