using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Images.Storage;

/// <summary>
/// The Local backend: blobs under root/&lt;tenant&gt;/ab/cd/&lt;sha256&gt; on this host's disk, for a single-node
/// developer set-up (start-up refuses it when Deployment:Instances says there are several).
/// Writes go to a temporary file first and are renamed into place, so a crash never leaves a
/// half-written image under a valid name.
/// </summary>
internal sealed class FileImageStore(IOptions<ImageStoreOptions> options) : IImageBackend
{
    private readonly string _root = System.IO.Path.GetFullPath(options.Value.Path);

    public string Name => "local";

    public async Task<bool> PutAsync(ImageKey key, ReadOnlyMemory<byte> blob, CancellationToken cancellationToken)
    {
        var path = PathFor(key);
        if (File.Exists(path))
        {
            return false;
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        return await WriteWholeAsync(path, blob, overwrite: false, cancellationToken);
    }

    public async Task<bool> ReplaceAsync(ImageKey key, ReadOnlyMemory<byte> blob, CancellationToken cancellationToken)
    {
        var path = PathFor(key);
        if (!File.Exists(path))
        {
            return false;
        }

        await WriteWholeAsync(path, blob, overwrite: true, cancellationToken);
        return true;
    }

    /// <summary>
    /// Written beside it, then renamed over it: a crash never leaves a half-written blob under a
    /// valid name. Without <paramref name="overwrite"/> the rename fails if another put got there
    /// first, so exactly one of two concurrent puts says it created the blob (false for the other).
    /// </summary>
    private static async Task<bool> WriteWholeAsync(string path, ReadOnlyMemory<byte> blob, bool overwrite, CancellationToken cancellationToken)
    {
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await stream.WriteAsync(blob, cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }

            try
            {
                File.Move(temp, path, overwrite);
            }
            catch (IOException) when (!overwrite && File.Exists(path))
            {
                File.Delete(temp);
                return false;
            }

            return true;
        }
        catch
        {
            // A full disk (or a cancelled write) leaves no half-written temporary taking space.
            File.Delete(temp);
            throw;
        }
    }

    public async Task<byte[]?> GetAsync(ImageKey key, CancellationToken cancellationToken)
    {
        var path = PathFor(key);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken) : null;
    }

    public Task<bool> DeleteAsync(ImageKey key, CancellationToken cancellationToken)
    {
        var path = PathFor(key);
        var existed = File.Exists(path);
        File.Delete(path);
        return Task.FromResult(existed);
    }

    public Task<int> SweepStraysAsync(DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_root))
        {
            return Task.FromResult(0);
        }

        // A temporary is renamed into place the moment it is written: one this old belongs to a
        // write that was killed (or whose disk filled) and will never finish.
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(_root, "*.tmp", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (File.GetLastWriteTimeUtc(file) < olderThan.UtcDateTime)
            {
                File.Delete(file);
                removed++;
            }
        }

        return Task.FromResult(removed);
    }

    public Task<long> DeleteTenantAsync(Guid tenant, CancellationToken cancellationToken)
    {
        // The whole folder, temporaries included: its name is the tenant's id.
        var folder = System.IO.Path.Combine(_root, tenant.ToString("N"));
        if (!Directory.Exists(folder))
        {
            return Task.FromResult(0L);
        }

        long blobs = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).LongCount(f => ContentAddress.IsValid(System.IO.Path.GetFileName(f)));
        Directory.Delete(folder, recursive: true);
        return Task.FromResult(blobs);
    }

    public Task<bool> HasTenantBlobsAsync(Guid tenant, CancellationToken cancellationToken)
    {
        var folder = System.IO.Path.Combine(_root, tenant.ToString("N"));
        return Task.FromResult(Directory.Exists(folder)
            && Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Any(f => ContentAddress.IsValid(System.IO.Path.GetFileName(f))));
    }

    public Task CheckAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_root);
        var probe = System.IO.Path.Combine(_root, ".ready-" + Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(probe, []);
        File.Delete(probe);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<ImageKey> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_root))
        {
            yield break;
        }

        // Only files named by a valid address in their tenant/ab/cd/ folder: temporaries and strays are not images.
        foreach (var tenantDir in Directory.EnumerateDirectories(_root).Order(StringComparer.Ordinal))
        {
            if (!Guid.TryParseExact(System.IO.Path.GetFileName(tenantDir), "N", out var tenant))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(tenantDir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var name = System.IO.Path.GetFileName(file);
                if (ContentAddress.IsValid(name) && PathFor(new ImageKey(tenant, name)) == file)
                {
                    yield return new ImageKey(tenant, name);
                }
            }

            await Task.Yield();
        }
    }

    private string PathFor(ImageKey key)
    {
        ContentAddress.Validate(key.Sha256);
        return System.IO.Path.Combine(_root, key.Tenant.ToString("N"), key.Sha256[..2], key.Sha256[2..4], key.Sha256);
    }
}
