using Detector.Modules.Images.Encryption;
using Detector.Modules.Images.Storage;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Images.CopyImages;

/// <summary>What a copy did: every image listed in the source is accounted for in one of the counts.</summary>
internal sealed record CopyReport(long Listed, long Copied, long Bytes, long Corrupt, long Vanished, long Failed)
{
    public bool Clean => Corrupt == 0 && Vanished == 0 && Failed == 0;
}

/// <summary>
/// Copies every blob of one backend into another as it is (still encrypted), verifying each: the
/// source must open under its tenant's key and hash to its address (else "corrupt", not copied),
/// and the target must give back a blob that does too (else "failed"). Idempotent, so an
/// interrupted copy is simply run again.
/// </summary>
internal sealed partial class ImageCopier(TenantKeyStore keys, ILogger<ImageCopier> logger)
{
    public async Task<CopyReport> CopyAsync(IImageBackend from, IImageBackend to, int parallelism, CancellationToken cancellationToken)
    {
        long listed = 0, copied = 0, bytes = 0, corrupt = 0, vanished = 0, failed = 0;
        await Parallel.ForEachAsync(from.ListAsync(cancellationToken), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (address, ct) =>
        {
            Interlocked.Increment(ref listed);
            var image = await from.GetAsync(address, ct);
            if (image is null)
            {
                Interlocked.Increment(ref vanished);
                LogVanished(logger, address, from.Name);
                return;
            }

            if (!await IntactAsync(address, image, ct))
            {
                Interlocked.Increment(ref corrupt);
                LogCorrupt(logger, address, from.Name);
                return;
            }

            await to.PutAsync(address, image, ct);
            var back = await to.GetAsync(address, ct);
            if (back is null || !await IntactAsync(address, back, ct))
            {
                Interlocked.Increment(ref failed);
                LogFailed(logger, address, to.Name);
                return;
            }

            Interlocked.Increment(ref copied);
            Interlocked.Add(ref bytes, image.Length);
        });

        return new CopyReport(listed, copied, bytes, corrupt, vanished, failed);
    }

    private async Task<bool> IntactAsync(ImageKey key, byte[] blob, CancellationToken ct)
    {
        try
        {
            return ContentAddress.Of(await ImageBlobs.OpenAsync(keys, key, blob, ct)) == key.Sha256;
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or TenantKeyDestroyedException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image {Address} in {Backend} does not open or does not hash to its address; not copied")]
    private static partial void LogCorrupt(ILogger logger, ImageKey address, string backend);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image {Address} was listed in {Backend} but could not be read")]
    private static partial void LogVanished(ILogger logger, ImageKey address, string backend);

    [LoggerMessage(Level = LogLevel.Error, Message = "Image {Address} did not read back intact from {Backend} after the copy")]
    private static partial void LogFailed(ILogger logger, ImageKey address, string backend);
}
