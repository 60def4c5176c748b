using System.Text.RegularExpressions;
using Detector.Modules.Ingestion.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Ingestion.Storage;

/// <summary>
/// Images under root/ab/cd/&lt;sha256&gt;. Writes go to a temporary file first and are renamed into
/// place, so a crash never leaves a half-written image under a valid name.
/// </summary>
internal sealed partial class FileImageStore(IOptions<ImageStoreOptions> options) : IImageStore
{
    private readonly string _root = System.IO.Path.GetFullPath(options.Value.Path);

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Pattern();

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

    public bool Exists(string sha256) => File.Exists(PathFor(sha256));

    private string PathFor(string sha256)
    {
        if (!Sha256Pattern().IsMatch(sha256))
        {
            throw new ArgumentException("Not a lower-case hex sha256.", nameof(sha256));
        }

        return System.IO.Path.Combine(_root, sha256[..2], sha256[2..4], sha256);
    }
}
