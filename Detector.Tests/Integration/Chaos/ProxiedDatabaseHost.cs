using Detector.Tests.Integration.Jobs;
using Npgsql;

namespace Detector.Tests.Integration.Chaos;

/// <summary>
/// The jobs test host whose database connections go through a <see cref="TcpProxy"/> in front of
/// the real PostgreSQL, so a test can take the database away from this service alone
/// (<see cref="TcpProxy.Cut"/>) and give it back. Serves YOLOX-nano only.
/// </summary>
internal sealed class ProxiedDatabaseHost : IAsyncDisposable
{
    private ProxiedDatabaseHost(TcpProxy proxy, JobsApiFactory factory)
    {
        Proxy = proxy;
        Factory = factory;
    }

    public TcpProxy Proxy { get; }

    public JobsApiFactory Factory { get; }

    public static async Task<ProxiedDatabaseHost> StartAsync()
    {
        var target = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("Database__ConnectionString"));
        var proxy = TcpProxy.Start(target.Host!, target.Port);
        var factory = new ProxiedFactory(proxy.Port);
        await factory.InitializeAsync();
        return new ProxiedDatabaseHost(proxy, factory);
    }

    public async ValueTask DisposeAsync()
    {
        Proxy.Restore();
        await Factory.DisposeAsync();
        await Proxy.DisposeAsync();
    }

    private sealed class ProxiedFactory(int proxyPort) : JobsApiFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
        [
            new("Database:ConnectionString", new NpgsqlConnectionStringBuilder(ConnectionString) { Host = "127.0.0.1", Port = proxyPort }.ConnectionString),
            new("Models:Enabled:0", "yolox_nano_416"),
        ];
    }
}
