using System.Security.Cryptography;
using Dapper;
using Detector.Modules.Models.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Models.Registry;

/// <summary>
/// This instance's copies of the artifacts kept in PostgreSQL: before a registry read is
/// published, every active version's <c>db:</c> artifact is in <c>Models:ArtifactCacheDirectory</c>
/// with the bytes its name says (a copy that is missing or differs is fetched again, written to a
/// temporary file and moved into place only once its sha256 matches). The load checks it again.
/// </summary>
internal sealed partial class ArtifactCache(NpgsqlDataSource dataSource, IOptions<ModelsOptions> options, ILogger<ArtifactCache> logger)
{
    public async Task EnsureAsync(IReadOnlyList<RegisteredModel> models, CancellationToken ct)
    {
        foreach (var version in models.SelectMany(m => m.Versions).Where(v => v.State == VersionState.Active))
        {
            var path = version.Manifest.FilePath;
            var sha256 = version.Manifest.Sha256;
            if (!path.StartsWith(Path.GetFullPath(options.Value.ArtifactCacheDirectory), StringComparison.Ordinal) || await MatchesAsync(path, sha256, ct))
            {
                continue;
            }

            try
            {
                await FetchAsync(path, sha256, ct);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogWriteFailed(logger, sha256, ex); // the load finds no file and fails, changing nothing that serves
            }
        }
    }

    private static async Task<bool> MatchesAsync(string path, string sha256, CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct)) == sha256;
    }

    private async Task FetchAsync(string path, string sha256, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var content = await connection.QuerySingleOrDefaultAsync<byte[]>(new CommandDefinition(
            "SELECT content FROM models.artifacts WHERE sha256 = @sha256", new { sha256 }, cancellationToken: ct));
        if (content is null)
        {
            LogMissing(logger, sha256);
            return; // the load finds no file and fails, changing nothing that serves
        }

        if (Convert.ToHexStringLower(SHA256.HashData(content)) != sha256)
        {
            LogCorrupt(logger, sha256);
            return; // never written: the load finds no file
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temp, content, ct);
        File.Move(temp, path, overwrite: true);
        LogFetched(logger, sha256, content.Length);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Artifact {Sha256} ({Bytes} bytes) copied from the database into the local cache")]
    private static partial void LogFetched(ILogger logger, string sha256, int bytes);

    [LoggerMessage(Level = LogLevel.Error, Message = "Artifact {Sha256} could not be written to the local cache")]
    private static partial void LogWriteFailed(ILogger logger, string sha256, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Artifact {Sha256} is registered but not in the database")]
    private static partial void LogMissing(ILogger logger, string sha256);

    [LoggerMessage(Level = LogLevel.Error, Message = "Artifact {Sha256} in the database does not match its hash; not cached")]
    private static partial void LogCorrupt(ILogger logger, string sha256);
}
