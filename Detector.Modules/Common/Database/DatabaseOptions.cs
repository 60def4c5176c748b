using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Common.Database;

public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>Npgsql connection string. Comes from the environment (Database__ConnectionString), never the repo.</summary>
    [Required]
    public string ConnectionString { get; set; } = "";

    /// <summary>Folder of numbered forward-only *.sql migrations; relative paths resolve against the app folder.</summary>
    [Required]
    public string MigrationsPath { get; set; } = "db";

    /// <summary>Apply pending migrations when the service starts.</summary>
    public bool MigrateOnStart { get; set; } = true;
}
