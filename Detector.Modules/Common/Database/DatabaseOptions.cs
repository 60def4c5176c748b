using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Common.Database;

public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>Npgsql connection string. Comes from the environment (Database__ConnectionString), never the repo.</summary>
    [Required]
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// The tenant directory (tenants, plans, API keys), shared by every region when the service
    /// runs in several (ADR 0013); unset, it is <see cref="ConnectionString"/>. Everything else a
    /// tenant has stays in its region's own database.
    /// </summary>
    public string? DirectoryConnectionString { get; set; }

    /// <summary>Folder of numbered forward-only *.sql migrations; relative paths resolve against the app folder.</summary>
    [Required]
    public string MigrationsPath { get; set; } = "db";

    /// <summary>Apply pending migrations when the service starts.</summary>
    public bool MigrateOnStart { get; set; } = true;
}
