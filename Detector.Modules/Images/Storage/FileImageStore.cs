using System.Security.Cryptography;
using Detector.Modules.Images.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Images.Storage;

/// <summary>
/// Images under root/ab/cd/&lt;sha256&gt;. Writes go to a temporary file first and are renamed into
/// place, so a crash never leaves a half-written image under a valid name.
/// </summary>
internal sealed class FileImageStore(IOptions<ImageStoreOptions> options) : IImageStore
{
    private readonly string _root = System.IO.Path.GetFullPath(options.Value.Path);

    public async Task<StoredImage> PutAsync(ReadOnlyMemory<byte> image, CancellationToken cancellationToken)
    {
        var stored = new StoredImage(Convert.ToHexStringLower(SHA256.HashData(image.Span)), image.Length);
        var path = PathFor(stored.Sha256);
        if (File.Exists(path))
        {
            return stored;
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
        {
            await stream.WriteAsync(image, cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }

        File.Move(temp, path, overwrite: true);
        return stored;
    }

    public async Task<byte[]?> GetAsync(string sha256, CancellationToken cancellationToken)
    {
        var path = PathFor(sha256);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken) : null;
    }

    private string PathFor(string sha256)
    {
        if (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("Not a lower-case hex sha256.", nameof(sha256));
        }

        return System.IO.Path.Combine(_root, sha256[..2], sha256[2..4], sha256);
    }
}
