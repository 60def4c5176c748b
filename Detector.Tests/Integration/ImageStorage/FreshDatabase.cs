using Detector.Tests.Integration.Jobs;
using Npgsql;

namespace Detector.Tests.Integration.ImageStorage;

/// <summary>A database of its own on the test cluster, created empty and dropped afterwards (migrations are the caller's).</summary>
internal sealed class FreshDatabase(string prefix)
{
    private readonly string _baseConnection = Environment.GetEnvironmentVariable("Database__ConnectionString")
        ?? throw new InvalidOperationException("Database__ConnectionString is not set; run the tests through ./test.sh.");

    private readonly string _name = prefix + "_" + Guid.NewGuid().ToString("N")[..12];

    public string ConnectionString => new NpgsqlConnectionStringBuilder(_baseConnection) { Database = _name }.ConnectionString;

    public Task CreateAsync() => JobsApiFactory.CreateDatabaseAsync(_baseConnection, _name);

    public async Task DropAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await JobsApiFactory.DropDatabaseAsync(_baseConnection, _name);
    }
}
