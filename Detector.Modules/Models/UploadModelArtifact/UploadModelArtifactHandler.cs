using System.Security.Cryptography;
using Dapper;
using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Models.Registry;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Models.UploadModelArtifact;

/// <summary>
/// Stores an artifact in PostgreSQL under its sha256 (idempotent: the same bytes twice are one
/// row), so every instance of the region can load it without a shared disk; answers the location
/// to register a version with, <c>db:&lt;sha256&gt;</c>. Read within <c>Models:MaxArtifactBytes</c>.
/// </summary>
internal sealed partial class UploadModelArtifactHandler(NpgsqlDataSource dataSource, IOptions<ModelsOptions> options, IAuditTrail audit, ILogger<UploadModelArtifactHandler> logger)
{
    public async Task<ArtifactView> HandleAsync(HttpRequest request, string actor, CancellationToken ct)
    {
        var max = options.Value.MaxArtifactBytes;
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = max + 1;
        }

        if (request.ContentLength > max)
        {
            throw TooLarge(max);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > max)
            {
                throw TooLarge(max);
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.EmptyBody, "Empty body", "The body must be the artifact's bytes (application/octet-stream).");
        }

        return await StoreAsync(buffer.ToArray(), actor, ct);
    }

    /// <summary>Stores an artifact's bytes (a no-op when the same bytes are stored already) and answers its location.</summary>
    public async Task<ArtifactView> StoreAsync(byte[] content, string actor, CancellationToken ct)
    {
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO models.artifacts (sha256, size_bytes, content, uploaded_by) VALUES (@sha256, @size, @content, @actor)
            ON CONFLICT (sha256) DO NOTHING
            """,
            new { sha256, size = (long)content.Length, content, actor }, cancellationToken: ct));
        LogUploaded(logger, sha256, content.Length, actor);
        audit.Record(new AuditEvent("model.artifact.upload", Target: ArtifactLocation.Database + sha256, Status: StatusCodes.Status201Created, Detail: $"size={content.Length}"), logger);
        return new ArtifactView(ArtifactLocation.Database + sha256, sha256, content.Length);
    }

    private static DomainException TooLarge(long max) =>
        new(OutcomeKind.TooLarge, ErrorCodes.PayloadTooLarge, "Artifact too large", $"An artifact may have at most {max} bytes (Models:MaxArtifactBytes).");

    [LoggerMessage(Level = LogLevel.Information, Message = "Artifact {Sha256} ({Bytes} bytes) stored by {Actor}")]
    private static partial void LogUploaded(ILogger logger, string sha256, int bytes, string actor);
}
