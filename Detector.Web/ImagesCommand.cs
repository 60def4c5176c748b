using System.CommandLine;
using System.CommandLine.Parsing;
using Detector.Modules.Common.Database;
using Detector.Modules.Images;

namespace Detector.Web;

/// <summary>
/// `Detector.Web images copy|index|seal-legacy|rewrap-keys`: maintenance of the image store with
/// the service's own modules and configuration (the database of Database:ConnectionString,
/// migrated first), without the web server. Arguments are checked, and --help answered, before
/// anything connects. Exit codes: 0 done, 1 done but not everything could be (the command says
/// what), 2 bad arguments.
/// </summary>
internal static class ImagesCommand
{
    private const string CopyDescription = """
        Copies every stored image from one backend to another and verifies each by its SHA-256.
        postgres is the database of Database:ConnectionString; s3 is the bucket and prefix of ImageStore:S3
        (credentials from there or the AWS_* environment); local is a folder (--from-path/--to-path,
        default ImageStore:Path). Run it again after an interruption: copying is idempotent.
        Exit code: 0 when every image was copied and verified, 1 when any was corrupt or failed, 2 for bad arguments.
        """;

    /// <summary>Runs one images command with a host of its own, built only once the arguments are valid.</summary>
    public static Task<int> RunAsync(string[] args) => RunAsync(args, WithServiceHostAsync, Console.Out, Console.Error, CancellationToken.None);

    /// <summary>Runs one images command over <paramref name="services"/> (a host that already runs), writing everything to <paramref name="output"/>.</summary>
    internal static Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter output, CancellationToken ct) =>
        RunAsync(args, (use, token) => use(services, token), output, output, ct);

    /// <summary>Gives a command the services it runs with, for as long as it runs.</summary>
    private delegate Task<int> WithServices(Func<IServiceProvider, CancellationToken, Task<int>> command, CancellationToken ct);

    private static async Task<int> RunAsync(string[] args, WithServices withServices, TextWriter output, TextWriter error, CancellationToken ct)
    {
        var root = Commands(withServices, output);
        var configuration = new InvocationConfiguration { Output = output, Error = error };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count == 0)
        {
            return await parsed.InvokeAsync(configuration, ct);
        }

        foreach (var problem in parsed.Errors)
        {
            await error.WriteLineAsync("images: " + problem.Message);
        }

        // Then the usage of the command the arguments were meant for.
        await root.Parse([.. CommandPath(parsed.CommandResult), "--help"]).InvokeAsync(configuration, ct);
        return 2;
    }

    private static RootCommand Commands(WithServices withServices, TextWriter output)
    {
        var from = Backend("--from", "The store to copy from.");
        var to = Backend("--to", "The store to copy to.");
        var fromPath = new Option<string?>("--from-path") { Description = "The folder of a local --from (default ImageStore:Path).", HelpName = "DIR" };
        var toPath = new Option<string?>("--to-path") { Description = "The folder of a local --to (default ImageStore:Path).", HelpName = "DIR" };
        var parallel = new Option<int>("--parallel") { Description = "Images copied at once, 1 to 64.", DefaultValueFactory = _ => 4, HelpName = "N" };
        parallel.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 64)
            {
                result.AddError("--parallel is 1 to 64");
            }
        });

        var copy = new Command("copy", CopyDescription) { from, fromPath, to, toPath, parallel };
        copy.SetAction((parse, ct) => withServices(
            (services, token) => ImagesModule.CopyImagesAsync(services, parse.GetRequiredValue(from), parse.GetValue(fromPath), parse.GetRequiredValue(to), parse.GetValue(toPath), parse.GetValue(parallel), output, token),
            ct));

        var index = new Command("index", "Adds the images the configured backend holds to the index the orphan sweep works from (run once after moving to S3 or Local; indexed images are left alone).");
        index.SetAction((_, ct) => withServices((services, token) => ImagesModule.IndexImagesAsync(services, output, token), ct));

        var sealLegacy = new Command("seal-legacy", "Encrypts, under their tenant's data key, the plaintext images stored before encryption at rest. Idempotent; exit code 1 when some did not match their address (left, see the log).");
        sealLegacy.SetAction((_, ct) => withServices((services, token) => ImagesModule.SealLegacyAsync(services, output, token), ct));

        var rewrapKeys = new Command("rewrap-keys", "Moves every tenant's data key under the active master key (after a master-key rotation); no image is rewritten.");
        rewrapKeys.SetAction((_, ct) => withServices((services, token) => ImagesModule.RewrapKeysAsync(services, output, token), ct));

        return new RootCommand("Detector's own commands.")
        {
            new Command("images", "Maintenance of the image store, with the service's configuration.") { copy, index, sealLegacy, rewrapKeys },
        };
    }

    private static Option<string> Backend(string name, string description)
    {
        var option = new Option<string>(name) { Description = description + " postgres, s3 or local.", Required = true, HelpName = "postgres|s3|local" };
        return option.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, "postgres", "s3", "local");
    }

    /// <summary>The names from the root to <paramref name="command"/> ("images", "copy").</summary>
    private static List<string> CommandPath(CommandResult command)
    {
        var path = new List<string>();
        for (SymbolResult? result = command; result is CommandResult { Command: not RootCommand } c; result = c.Parent)
        {
            path.Insert(0, c.Command.Name);
        }

        return path;
    }

    private static async Task<int> WithServiceHostAsync(Func<IServiceProvider, CancellationToken, Task<int>> command, CancellationToken ct)
    {
        var builder = CommandHost.CreateBuilder();
        builder.AddDatabase();
        builder.AddImages();

        using var host = builder.Build();
        await host.Services.GetRequiredService<MigrationRunner>().MigrateAsync(ct);
        return await command(host.Services, ct);
    }
}
