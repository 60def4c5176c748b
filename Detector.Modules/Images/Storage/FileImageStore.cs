using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Images.Storage;

/// <summary>
/// The Local backend: images under root/ab/cd/&lt;sha256&gt; on this host's disk, for a single-node
/// developer set-up (start-up refuses it when Deployment:Instances says there are several).
/// Writes go to a temporary file first and are renamed into place, so a crash never leaves a
/// half-written image under a valid name.
/// </summary>
internal sealed class FileImageStore(IOptions<ImageStoreOptions> options) : IImageBackend
{
    private readonly string _root = System.IO.Path.GetFullPath(options.Value.Path);

    public string Name => "local";

    public async Task PutAsync(string sha256, ReadOnlyMemory<byte> image, CancellationToken cancellationToken)
    {
        var path = PathFor(sha256);
        if (File.Exists(path))
        {
            return;
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
        {
            await stream.WriteAsync(image, cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }

        File.Move(temp, path, overwrite: true);
    }

    public async Task<byte[]?> GetAsync(string sha256, CancellationToken cancellationToken)
    {
        var path = PathFor(sha256);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken) : null;
    }

    public Task CheckAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_root);
        var probe = System.IO.Path.Combine(_root, ".ready-" + Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(probe, []);
        File.Delete(probe);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<string> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_root))
        {
            yield break;
        }

        // Only files named by a valid address in their ab/cd/ folder: temporaries and strays are not images.
        foreach (var first in Directory.EnumerateDirectories(_root).Order(StringComparer.Ordinal))
        {
            foreach (var second in Directory.EnumerateDirectories(first).Order(StringComparer.Ordinal))
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var file in Directory.EnumerateFiles(second).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal))
                {
                    if (file is not null && ContentAddress.IsValid(file) && PathFor(file) == System.IO.Path.Combine(second, file))
                    {
                        yield return file;
                    }
                }
            }

            await Task.Yield();
        }
    }

    private string PathFor(string sha256)
    {
        ContentAddress.Validate(sha256);
        return System.IO.Path.Combine(_root, sha256[..2], sha256[2..4], sha256);
    }
}
