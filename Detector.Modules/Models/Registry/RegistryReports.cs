using Dapper;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Models.Contracts;
using Microsoft.Extensions.Logging;
using Npgsql;
using Prometheus;

namespace Detector.Modules.Models.Registry;

/// <summary>
/// A version an instance refused (its artifact failed the sha256 check) is marked refused in the
/// registry, so no instance serves it and the admin sees why; counted and audited.
/// </summary>
internal sealed partial class RegistryReports(NpgsqlDataSource dataSource, IAuditTrail audit, ILogger<RegistryReports> logger) : IModelVersionReports
{
    internal static readonly Counter Refusals = Metrics.CreateCounter(
        "detector_model_versions_refused_total",
        "Model versions refused at load because their artifact did not match the registered sha256, by model and version.",
        new CounterConfiguration { LabelNames = ["model", "version"] });

    public async Task RefuseAsync(string model, string version, string reason, CancellationToken cancellationToken)
    {
        Refusals.WithLabels(model, version).Inc();
        LogRefused(logger, model, version, reason);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            var changed = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE models.versions SET state = 'refused', state_reason = @reason, state_at = now() WHERE model = @model AND version = @version AND state = 'active'",
                new { model, version, reason }, tx, cancellationToken: cancellationToken));
            await RegistryStore.NotifyAsync(connection, tx, model, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            if (changed == 1)
            {
                audit.Record(new AuditEvent("model.version.refuse", Target: $"{model}@{version}", Detail: "artifact sha256 mismatch", Actor: "system"), logger);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            // This instance refuses it anyway; the next instance that loads it records it.
            LogRecordFailed(logger, model, version, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Model version {Model}@{Version} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string model, string version, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording the refusal of {Model}@{Version} in the registry failed")]
    private static partial void LogRecordFailed(ILogger logger, string model, string version, Exception exception);
}

/// <summary>Where no registry is configured (the eval command), a refusal is counted and logged only.</summary>
internal sealed partial class LoggedReports(ILogger<LoggedReports> logger) : IModelVersionReports
{
    public Task RefuseAsync(string model, string version, string reason, CancellationToken cancellationToken)
    {
        RegistryReports.Refusals.WithLabels(model, version).Inc();
        LogRefused(logger, model, version, reason);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Model version {Model}@{Version} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string model, string version, string reason);
}
