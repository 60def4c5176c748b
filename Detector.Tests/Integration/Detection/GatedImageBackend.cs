using Detector.Modules.Images.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Integration.Detection;

/// <summary>
/// The configured image backend (PostgreSQL here) with a gate in front of its writes: while
/// closed, puts wait, as on a store that has stalled, and are let through, or failed as by a
/// store that refuses them, when the test says. Everything else goes straight through.
/// </summary>
internal sealed class GatedImageBackend(IImageBackend inner) : IImageBackend
{
    private TaskCompletionSource<bool> _gate = Opened();

    public string Name => inner.Name;

    /// <summary>Puts that reached the gate since it last closed.</summary>
    public int Waiting;

    /// <summary>Replaces the registered backend with a gated one around it.</summary>
    public static void Install(IServiceCollection services)
    {
        var original = services.Last(d => d.ServiceType == typeof(IImageBackend));
        services.Remove(original);
        services.AddSingleton(sp => new GatedImageBackend((IImageBackend)original.ImplementationFactory!(sp)));
        services.AddSingleton<IImageBackend>(sp => sp.GetRequiredService<GatedImageBackend>());
    }

    public void Close()
    {
        Interlocked.Exchange(ref Waiting, 0);
        Interlocked.Exchange(ref _gate, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    /// <summary>Lets waiting and later puts through (true) or fails them as a broken store does (false).</summary>
    public void Open(bool succeed = true) => _gate.TrySetResult(succeed);

    public async Task<bool> PutAsync(ImageKey key, ReadOnlyMemory<byte> blob, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Waiting);
        if (!await Volatile.Read(ref _gate).Task.WaitAsync(cancellationToken))
        {
            throw new IOException("the store refused the write (test gate)");
        }

        return await inner.PutAsync(key, blob, cancellationToken);
    }

    public Task<bool> ReplaceAsync(ImageKey key, ReadOnlyMemory<byte> blob, CancellationToken cancellationToken) => inner.ReplaceAsync(key, blob, cancellationToken);

    public Task<byte[]?> GetAsync(ImageKey key, CancellationToken cancellationToken) => inner.GetAsync(key, cancellationToken);

    public Task<bool> DeleteAsync(ImageKey key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

    public Task<long> DeleteTenantAsync(Guid tenant, CancellationToken cancellationToken) => inner.DeleteTenantAsync(tenant, cancellationToken);

    public Task<bool> HasTenantBlobsAsync(Guid tenant, CancellationToken cancellationToken) => inner.HasTenantBlobsAsync(tenant, cancellationToken);

    public Task<int> SweepStraysAsync(DateTimeOffset olderThan, CancellationToken cancellationToken) => inner.SweepStraysAsync(olderThan, cancellationToken);

    public Task CheckAsync(CancellationToken cancellationToken) => inner.CheckAsync(cancellationToken);

    public IAsyncEnumerable<ImageKey> ListAsync(CancellationToken cancellationToken) => inner.ListAsync(cancellationToken);

    private static TaskCompletionSource<bool> Opened()
    {
        var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult(true);
        return gate;
    }
}
