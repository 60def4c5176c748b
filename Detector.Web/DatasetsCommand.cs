using System.CommandLine;
using Detector.Modules.Common.Database;
using Detector.Modules.Datasets;
using Detector.Modules.Images;

namespace Detector.Web;

/// <summary>
/// `Detector.Web datasets export --version ID --out DIR [--allow-incomplete]`: writes a dataset
/// version's export (its images from the tenants' stores, its canonical annotations, manifest.json)
/// and handoff.json into a new or empty folder, with the service's own modules and database
/// (Database:ConnectionString, migrated first). Exit codes: 0 written, 1 no such version, 2 bad
/// arguments or a folder that is not empty, 3 the version is incomplete (entries erased) and
/// --allow-incomplete was not given.
/// </summary>
internal static class DatasetsCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var version = new Option<string>("--version") { Required = true, HelpName = "ID", Description = "The dataset version's id (its manifest's sha256, 64 hex digits)." };
        var output = new Option<string>("--out") { Required = true, HelpName = "DIR", Description = "The folder to write (created; must be empty if it exists)." };
        var allowIncomplete = new Option<bool>("--allow-incomplete") { Description = "Export a version some of whose entries were erased, without them (its manifest then differs from its id)." };
        var export = new Command("export", "Writes a dataset version's COCO export and handoff.json (version, manifest and export sha256, every file's sha256, classes, split counts) for a trainer.")
        {
            version, output, allowIncomplete,
        };
        export.SetAction((parse, ct) => ExportAsync(parse.GetRequiredValue(version), parse.GetRequiredValue(output), parse.GetValue(allowIncomplete), ct));
        var root = new RootCommand("Detector's own commands.") { new Command("datasets", "Dataset versions, with the service's configuration.") { export } };
        return await CommandHost.InvokeAsync(root.Parse(args), "datasets: ");
    }

    private static async Task<int> ExportAsync(string versionId, string outDirectory, bool allowIncomplete, CancellationToken ct)
    {
        var builder = CommandHost.CreateBuilder();
        builder.AddDatabase();
        builder.AddImages();
        builder.AddDatasets();
        using var host = builder.Build();
        await host.Services.GetRequiredService<MigrationRunner>().MigrateAsync(ct);
        return await DatasetsModule.RunExportAsync(host.Services, versionId, outDirectory, allowIncomplete, Console.Out, Console.Error, ct);
    }
}
