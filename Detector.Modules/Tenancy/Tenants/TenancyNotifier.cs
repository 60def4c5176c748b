using Dapper;
using Npgsql;

namespace Detector.Modules.Tenancy.Tenants;

/// <summary>NOTIFY detector_tenancy, '&lt;tenant id&gt;': sent inside the changing transaction, so instances hear of a change only once it is committed.</summary>
internal static class TenancyNotifier
{
    public const string Channel = "detector_tenancy";

    public static Task NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid tenantId, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("SELECT pg_notify(@channel, @payload)", new { channel = Channel, payload = tenantId.ToString() }, tx, cancellationToken: ct));
}
