using Detector.Modules.Images.Storage;

namespace Detector.Modules.Images.IndexImages;

/// <summary>
/// `images index`: adds the images the configured backend holds to the index the orphan sweep
/// works from: objects an S3 bucket or a folder held before the index existed (db/0012 indexed
/// the PostgreSQL backend's). Indexed ones are left alone.
/// </summary>
internal sealed class IndexImagesHandler(IImageBackend backend, ImageIndex index, TimeProvider time)
{
    public async Task<int> HandleAsync(TextWriter output, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        long listed = 0, added = 0;
        await foreach (var key in backend.ListAsync(ct))
        {
            listed++;
            added += await index.AddAsync(key, now, ct) ? 1 : 0;
        }

        await output.WriteLineAsync($"images index: {listed} image(s) listed, {added} added to the index (the orphan sweep may remove those nothing names after ImageStore:OrphanGraceMinutes)");
        return 0;
    }
}
