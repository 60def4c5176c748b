using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Tenancy;

/// <summary>The plans a tenant can be on (Tenancy:Plans:&lt;name&gt;:...) and the one new tenants get.</summary>
public sealed class PlanOptions : IValidatableObject
{
    public const string SectionName = "Tenancy";

    [Required]
    public string DefaultPlan { get; set; } = "standard";

    /// <summary>Named plans; "standard" exists unless configured away.</summary>
    public Dictionary<string, PlanSettings> Plans { get; } = new(StringComparer.Ordinal) { ["standard"] = new PlanSettings() };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Plans.ContainsKey(DefaultPlan))
        {
            yield return new ValidationResult($"Tenancy:DefaultPlan '{DefaultPlan}' is not one of Tenancy:Plans ({string.Join(", ", Plans.Keys)}).");
        }

        foreach (var (name, plan) in Plans)
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(plan, new ValidationContext(plan), results, validateAllProperties: true))
            {
                foreach (var r in results)
                {
                    yield return new ValidationResult($"Tenancy:Plans:{name}: {r.ErrorMessage}");
                }
            }
        }
    }
}

/// <summary>One plan's limits and data handling; every field can be overridden per tenant.</summary>
public sealed class PlanSettings
{
    [Range(0.01, 100_000)]
    public double RequestsPerSecond { get; set; } = 20;

    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 40;

    /// <summary>Requests of the tenant in the inference pipeline at once.</summary>
    [Range(1, 100_000)]
    public int MaxInFlight { get; set; } = 16;

    [Range(0, long.MaxValue)]
    public long DailyImages { get; set; } = 100_000;

    [Range(0, long.MaxValue)]
    public long MonthlyImages { get; set; } = 2_000_000;

    [Range(1024, 1L << 31)]
    public long MaxImageBytes { get; set; } = 20L * 1024 * 1024;

    [Range(1, 100_000)]
    public int MaxImagesPerJob { get; set; } = 500;

    /// <summary>Job priorities the tenant may ask for, comma-separated, of high, normal and low.</summary>
    [Required]
    [RegularExpression("^(high|normal|low)(,(high|normal|low))*$", ErrorMessage = "AllowedPriorities is a comma-separated list of high, normal and low.")]
    public string AllowedPriorities { get; set; } = "normal,low";

    [Range(0, 36_500)]
    public int RetentionDays { get; set; } = 30;

    public bool StoreImages { get; set; } = true;

    [Required]
    public string Region { get; set; } = "default";

    /// <summary>The model requests that name none get: a model, <c>name@version</c> or <c>name@alias</c>; unset: the service's default.</summary>
    [RegularExpression("^[A-Za-z0-9_.-]+(@[A-Za-z0-9_.-]+)?$", ErrorMessage = "DefaultModel is a model name, optionally name@version or name@alias.")]
    [StringLength(100)]
    public string? DefaultModel { get; set; }

    /// <summary>The rate of the tenant's browser keys (a bucket of its own); capped at <see cref="RequestsPerSecond"/> and <see cref="Burst"/>.</summary>
    [Range(0.01, 100_000)]
    public double BrowserRequestsPerSecond { get; set; } = 2;

    [Range(1, 1_000_000)]
    public int BrowserBurst { get; set; } = 10;
}

/// <summary>Protections of the key check and the tenant limits (Tenancy:Guards:...).</summary>
public sealed class GuardOptions : IValidatableObject
{
    public const string SectionName = "Tenancy:Guards";

    /// <summary>Unknown keys remembered (so repeating one costs no database round trip); the cache never holds more.</summary>
    [Range(0, 10_000_000)]
    public int UnknownKeyCacheEntries { get; set; } = 100_000;

    [Range(1, 86_400)]
    public int UnknownKeyCacheSeconds { get; set; } = 300;

    /// <summary>Unknown keys one client address may try per second (and in a burst) before it gets 429 without a lookup.</summary>
    [Range(0.1, 100_000)]
    public double FailedKeysPerSecondPerAddress { get; set; } = 5;

    [Range(1, 100_000)]
    public int FailedKeysBurstPerAddress { get; set; } = 20;

    /// <summary>Key lookups in the database at once on this instance; the rest wait briefly, then get 503.</summary>
    [Range(1, 1000)]
    public int MaxConcurrentKeyLookups { get; set; } = 4;

    /// <summary>Seconds of a tenant's rate an instance leases from the shared bucket per round trip.</summary>
    [Range(0.01, 10)]
    public double RateLeaseSeconds { get; set; } = 0.5;

    [Range(1, 720)]
    public int IdempotencyHours { get; set; } = 24;

    /// <summary>
    /// How long an Idempotency-Key claimed by a request that never answered (its instance died)
    /// blocks the key with 409 before a retry may claim it again. Longer than any request runs
    /// (a live request's claim must never be taken over), shorter than <see cref="IdempotencyHours"/>.
    /// </summary>
    [Range(1, 1440)]
    public int IdempotencyStaleClaimMinutes { get; set; } = 15;

    /// <summary>How often the last-used times of keys are written (one batched UPDATE).</summary>
    [Range(0.1, 3600)]
    public double KeyUsageFlushSeconds { get; set; } = 30;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (IdempotencyStaleClaimMinutes >= IdempotencyHours * 60)
        {
            yield return new ValidationResult(
                $"Tenancy:Guards:IdempotencyStaleClaimMinutes ({IdempotencyStaleClaimMinutes}) must be shorter than Tenancy:Guards:IdempotencyHours ({IdempotencyHours} h): a claim outliving its record could never be taken over.",
                [nameof(IdempotencyStaleClaimMinutes)]);
        }
    }
}
