using System.Buffers;
using Detector.Modules.Images.Encryption;
using Detector.Modules.Images.Storage;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Images.SealLegacy;

/// <summary>
/// `images seal-legacy`: encrypts, under their tenant's data key, the plaintext blobs stored
/// before encryption at rest (ADR 0011), each replaced in one step, so a deployment upgraded from
/// then holds no readable photo on disk. Idempotent; safe while the service runs. Reports what
/// it sealed, what was sealed already, and the plaintext blobs not matching their address (left
/// alone and logged; exit code 1).
/// </summary>
internal sealed partial class SealLegacyHandler(IImageBackend backend, TenantKeyStore keys, ILogger<SealLegacyHandler> logger)
{
    public async Task<int> HandleAsync(TextWriter output, CancellationToken ct)
    {
        long done = 0, already = 0, mismatched = 0;
        await foreach (var key in backend.ListAsync(ct))
        {
            var blob = await backend.GetAsync(key, ct);
            if (blob is null || BlobCipher.IsSealed(blob))
            {
                already += blob is null ? 0 : 1;
                continue;
            }

            if (ContentAddress.Of(blob) != key.Sha256)
            {
                mismatched++;
                LogMismatch(logger, key.ToString());
                continue;
            }

            byte[] dataKey;
            try
            {
                dataKey = await keys.GetOrCreateAsync(key.Tenant, ct);
            }
            catch (TenantKeyDestroyedException)
            {
                // The tenant was forgotten: its plaintext goes rather than being sealed.
                await backend.DeleteAsync(key, ct);
                continue;
            }

            var sealedBlob = ArrayPool<byte>.Shared.Rent(blob.Length + BlobCipher.Overhead);
            try
            {
                BlobCipher.Seal(dataKey, key, blob, sealedBlob);
                // A blob deleted meanwhile (by its tenant, retention or an erase) is not brought back.
                await backend.ReplaceAsync(key, sealedBlob.AsMemory(0, blob.Length + BlobCipher.Overhead), ct);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(sealedBlob);
            }

            done++;
        }

        await output.WriteLineAsync($"images seal-legacy: {done} plaintext image(s) sealed, {already} already sealed, {mismatched} not matching their address (left, see the log)");
        return mismatched == 0 ? 0 : 1;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Plaintext image {Key} does not hash to its address; left as it is")]
    private static partial void LogMismatch(ILogger logger, string key);
}
