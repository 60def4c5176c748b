using System.Text.Encodings.Web;
using System.Text.Json;
using Detector.Modules.Datasets.Storage;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Datasets.ExportVersion;

/// <summary>
/// The <c>datasets export</c> command's use case: a version's export written into a new (or
/// empty) folder, plus <c>handoff.json</c>, what a trainer needs to check it got exactly that
/// version: the version, the manifest's and the export's sha256, every file with its sha256, the
/// class map and the split counts. An incomplete version is refused unless allowed.
/// </summary>
internal sealed partial class ExportVersionHandler(DatasetStore store, VersionExporter exporter, ILogger<ExportVersionHandler> logger)
{
    public const string HandoffFile = "handoff.json";

    private static readonly JsonSerializerOptions HandoffJson = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Exit codes: 0 written, 1 no such version, 2 the folder is not empty, 3 incomplete and not allowed.</summary>
    public async Task<int> RunAsync(string versionId, string outDirectory, bool allowIncomplete, TextWriter output, TextWriter error, CancellationToken ct)
    {
        if ((VersionIds.IsValid(versionId) ? await store.FindAsync(versionId, ct) : null) is not { } version)
        {
            await error.WriteLineAsync($"datasets export: no dataset version '{versionId}'.");
            return 1;
        }

        if (version.Erased > 0 && !allowIncomplete)
        {
            await error.WriteLineAsync(
                $"datasets export: version {version.Id} is incomplete: {version.Erased} of {version.Images} entries were erased ({version.ErasedReasons}); --allow-incomplete exports the rest.");
            return 3;
        }

        if (Directory.Exists(outDirectory) && Directory.EnumerateFileSystemEntries(outDirectory).Any())
        {
            await error.WriteLineAsync($"datasets export: {outDirectory} is not empty.");
            return 2;
        }

        var result = await exporter.WriteAsync(version, outDirectory, ct);
        var counts = result.Content.Counts;
        var handoff = new
        {
            version = version.Id,
            dataset = version.Dataset,
            complete = version.Erased == 0,
            erased = version.Erased,
            manifest_sha256 = result.Content.Id,
            export_sha256 = result.ExportSha256,
            files = result.Files.Select(f => new { path = f.Path, sha256 = f.Sha256 }),
            classes = result.Content.Classes.Select(c => new { id = c.Id, name = c.Name }),
            splits = new { train = counts.Train, val = counts.Val, test = counts.Test },
        };
        await File.WriteAllBytesAsync(
            Path.Combine(outDirectory, HandoffFile),
            JsonSerializer.SerializeToUtf8Bytes(handoff, HandoffJson),
            ct);
        LogExported(logger, version.Id, result.Files.Count, outDirectory);
        await output.WriteLineAsync($"dataset version {version.Id}: {result.Content.Entries.Count} image(s), export {result.ExportSha256} -> {outDirectory}");
        return 0;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Exported dataset version {VersionId}: {Files} file(s) to {Folder}")]
    private static partial void LogExported(ILogger logger, string versionId, int files, string folder);
}
