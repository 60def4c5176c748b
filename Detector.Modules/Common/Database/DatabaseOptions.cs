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

    /// <summary>
    /// The API's circuit breaker around the database: it opens when at least this share of the
    /// API requests in <see cref="BreakerSamplingSeconds"/> failed because the database could not
    /// be reached, and then answers 503 <c>database_unavailable</c> at once instead of letting
    /// every request wait for a connection.
    /// </summary>
    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Requests in the sampling window before the breaker may open (a single failure does not).</summary>
    [Range(2, 10_000)]
    public int BreakerMinimumThroughput { get; set; } = 8;

    [Range(1, 600)]
    public int BreakerSamplingSeconds { get; set; } = 5;

    /// <summary>How long the breaker stays open before one request is let through to probe the database.</summary>
    [Range(1, 600)]
    public int BreakerBreakSeconds { get; set; } = 2;
}
