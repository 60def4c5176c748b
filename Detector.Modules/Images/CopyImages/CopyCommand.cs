using System.Globalization;
using Detector.Modules.Images.Storage;
using S3 = Detector.Modules.Images.Storage.S3;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Images.CopyImages;

/// <summary>`images copy --from BACKEND [--from-path DIR] --to BACKEND [--to-path DIR] [--parallel N]`.</summary>
internal static class CopyCommand
{
    public const string Usage = """
        usage: Detector.Web images copy --from postgres|s3|local [--from-path DIR] --to postgres|s3|local [--to-path DIR] [--parallel N]
          Copies every stored image from one backend to another and verifies each by its SHA-256.
          postgres is the database of Database:ConnectionString; s3 is the bucket and prefix of ImageStore:S3
          (credentials from there or the AWS_* environment); local is a folder (--from-path/--to-path,
          default ImageStore:Path). Run it again after an interruption: copying is idempotent.
          Exit code: 0 when every image was copied and verified, 1 when any was corrupt or failed, 2 for bad arguments.
        """;

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter output, CancellationToken ct)
    {
        if (args.Skip(1).Any(a => a is "--help" or "-h"))
        {
            await output.WriteLineAsync(Usage);
            return 0;
        }

        var options = Parse(args, out var error);
        if (options is null)
        {
            await output.WriteLineAsync($"images: {error}");
            await output.WriteLineAsync(Usage);
            return 2;
        }

        var configured = services.GetRequiredService<IOptions<ImageStoreOptions>>().Value.Path;
        var from = Backend(services, options["from"], options.GetValueOrDefault("from-path") ?? configured);
        var to = Backend(services, options["to"], options.GetValueOrDefault("to-path") ?? configured);
        if (from is null || to is null)
        {
            await output.WriteLineAsync("images: a backend is postgres, s3 or local");
            return 2;
        }

        if ((from.Name == "s3" || to.Name == "s3") && string.IsNullOrWhiteSpace(services.GetRequiredService<IOptions<ImageStoreOptions>>().Value.S3.Bucket))
        {
            await output.WriteLineAsync("images: s3 needs ImageStore:S3:Bucket (and ServiceUrl, Region, credentials as for the service)");
            return 2;
        }

        if (from.Name == to.Name && (from.Name != "local" || options.GetValueOrDefault("from-path") == options.GetValueOrDefault("to-path")))
        {
            await output.WriteLineAsync("images: --from and --to are the same store");
            return 2;
        }

        var parallel = options.TryGetValue("parallel", out var p) ? int.Parse(p, CultureInfo.InvariantCulture) : 4;
        var started = System.Diagnostics.Stopwatch.StartNew();
        var report = await services.GetRequiredService<ImageCopier>().CopyAsync(from, to, parallel, ct);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"images copy {from.Name} -> {to.Name}: listed {report.Listed}, copied and verified {report.Copied} ({report.Bytes} bytes), corrupt {report.Corrupt}, vanished {report.Vanished}, failed {report.Failed} in {started.Elapsed.TotalSeconds:F1} s"));
        return report.Clean ? 0 : 1;
    }

    private static Dictionary<string, string>? Parse(string[] args, out string error)
    {
        error = "";
        if (args is not ["images", "copy", .. var rest])
        {
            error = "the only images command is copy";
            return null;
        }

        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < rest.Length; i += 2)
        {
            if (!rest[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= rest.Length
                || rest[i][2..] is not ("from" or "to" or "from-path" or "to-path" or "parallel"))
            {
                error = $"unexpected argument '{rest[i]}'";
                return null;
            }

            options[rest[i][2..]] = rest[i + 1];
        }

        if (!options.ContainsKey("from") || !options.ContainsKey("to"))
        {
            error = "--from and --to are required";
            return null;
        }

        if (options.TryGetValue("parallel", out var p) && (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n is < 1 or > 64))
        {
            error = "--parallel is 1 to 64";
            return null;
        }

        return options;
    }

    private static IImageBackend? Backend(IServiceProvider services, string name, string path) => name.ToLowerInvariant() switch
    {
        "postgres" => services.GetRequiredService<PostgresImageStore>(),
        "s3" => services.GetRequiredService<S3.S3ImageStore>(),
        "local" => new FileImageStore(Options.Create(new ImageStoreOptions { Backend = ImageStoreBackend.Local, Path = path })),
        _ => null,
    };
}
