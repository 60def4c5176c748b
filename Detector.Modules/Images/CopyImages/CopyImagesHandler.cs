using System.Globalization;
using Detector.Modules.Images.Storage;
using Microsoft.Extensions.Options;
using S3 = Detector.Modules.Images.Storage.S3;

namespace Detector.Modules.Images.CopyImages;

/// <summary>
/// `images copy`: the two stores named, checked against the configuration (the command line has
/// checked the arguments' form), copied and verified by <see cref="ImageCopier"/>, and a one-line
/// report. Exit code 0 when every image was copied and verified, 1 when any was not, 2 when the
/// stores cannot be copied between.
/// </summary>
internal sealed class CopyImagesHandler(IServiceProvider services, IOptions<ImageStoreOptions> options, ImageCopier copier)
{
    public async Task<int> HandleAsync(string fromName, string? fromPath, string toName, string? toPath, int parallel, TextWriter output, CancellationToken ct)
    {
        var configured = options.Value;
        var from = Backend(fromName, fromPath ?? configured.Path);
        var to = Backend(toName, toPath ?? configured.Path);
        if (from is null || to is null)
        {
            await output.WriteLineAsync("images: a backend is postgres, s3 or local");
            return 2;
        }

        if ((from.Name == "s3" || to.Name == "s3") && string.IsNullOrWhiteSpace(configured.S3.Bucket))
        {
            await output.WriteLineAsync("images: s3 needs ImageStore:S3:Bucket (and ServiceUrl, Region, credentials as for the service)");
            return 2;
        }

        if (from.Name == to.Name && (from.Name != "local" || fromPath == toPath))
        {
            await output.WriteLineAsync("images: --from and --to are the same store");
            return 2;
        }

        var started = System.Diagnostics.Stopwatch.StartNew();
        var report = await copier.CopyAsync(from, to, parallel, ct);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"images copy {from.Name} -> {to.Name}: listed {report.Listed}, copied and verified {report.Copied} ({report.Bytes} bytes), corrupt {report.Corrupt}, vanished {report.Vanished}, failed {report.Failed} in {started.Elapsed.TotalSeconds:F1} s"));
        return report.Clean ? 0 : 1;
    }

    // Resolved only when named: the S3 client of a store nobody copies from or to is never built.
    private IImageBackend? Backend(string name, string path) => name.ToLowerInvariant() switch
    {
        "postgres" => services.GetRequiredService<PostgresImageStore>(),
        "s3" => services.GetRequiredService<S3.S3ImageStore>(),
        "local" => new FileImageStore(Options.Create(new ImageStoreOptions { Backend = ImageStoreBackend.Local, Path = path })),
        _ => null,
    };
}
