using Hangfire.PostgreSql;
using Npgsql;

namespace Detector.Modules.Jobs.Processing;

/// <summary>Hangfire.PostgreSql gets its connections from the process's one NpgsqlDataSource.</summary>
internal sealed class DataSourceConnectionFactory(NpgsqlDataSource dataSource) : IConnectionFactory
{
    public NpgsqlConnection GetOrCreateConnection() => dataSource.CreateConnection();
}
