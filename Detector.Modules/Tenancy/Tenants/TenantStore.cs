using Detector.Modules.Common.Database;
using Dapper;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Tenancy.Keys;
using Npgsql;

namespace Detector.Modules.Tenancy.Tenants;

internal sealed class TenantRow
{
    public Guid Id { get; set; }

    public string Name { get; set; } = "";

    public DateTime CreatedAt { get; set; }

    public DateTime? DisabledAt { get; set; }

    public string? PlanName { get; set; }

    public string[] AllowedOrigins { get; set; } = [];
}

/// <summary>Tenants and their plans. Changes that affect running requests are announced to every instance.</summary>
internal sealed class TenantStore([FromKeyedServices(DatabaseExtensions.Directory)] NpgsqlDataSource dataSource, KeyStore keys, Plans plans)
{
    private const string PlanColumns =
        """
        p.name AS Name, p.requests_per_second AS RequestsPerSecond, p.burst AS Burst, p.max_in_flight AS MaxInFlight,
        p.daily_images AS DailyImages, p.monthly_images AS MonthlyImages, p.max_image_bytes AS MaxImageBytes,
        p.max_images_per_job AS MaxImagesPerJob, p.allowed_priorities AS AllowedPriorities, p.retention_days AS RetentionDays,
        p.store_images AS StoreImages, p.region AS Region, p.default_model AS DefaultModel,
        p.browser_requests_per_second AS BrowserRequestsPerSecond, p.browser_burst AS BrowserBurst
        """;

    /// <summary>A tenant on <paramref name="plan"/> with a first API key (shown once).</summary>
    public async Task<(TenantRow Tenant, KeyRow KeyRow, string Key)> CreateAsync(string name, TenantPlan plan, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var tenant = await connection.QuerySingleAsync<TenantRow>(new CommandDefinition(
            """
            INSERT INTO tenancy.tenants (id, name) VALUES (@id, @name)
            RETURNING id AS Id, name AS Name, created_at AS CreatedAt, disabled_at AS DisabledAt
            """, new { id = Guid.CreateVersion7(), name }, tx, cancellationToken: ct));
        await SavePlanAsync(connection, tx, tenant.Id, plan, ct);
        tenant.PlanName = plan.Name;
        var (keyRow, key) = await keys.CreateAsync(connection, tx, tenant.Id, "default", TenantClaims.SecretKey, ct);
        await tx.CommitAsync(ct);
        return (tenant, keyRow, key);
    }

    public async Task<IReadOnlyList<TenantRow>> ListAsync(bool includeDisabled, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<TenantRow>(new CommandDefinition(
            """
            SELECT t.id AS Id, t.name AS Name, t.created_at AS CreatedAt, t.disabled_at AS DisabledAt, p.name AS PlanName
            FROM tenancy.tenants t LEFT JOIN tenancy.plans p ON p.tenant_id = t.id
            WHERE @includeDisabled OR t.disabled_at IS NULL
            ORDER BY t.created_at DESC LIMIT @limit
            """, new { includeDisabled, limit }, cancellationToken: ct))).AsList();
    }

    /// <summary>The tenant and its stored plan (null plan: the configured default applies).</summary>
    public async Task<(TenantRow Tenant, TenantPlan? Plan)?> GetAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var tenant = await connection.QuerySingleOrDefaultAsync<TenantRow>(new CommandDefinition(
            "SELECT id AS Id, name AS Name, created_at AS CreatedAt, disabled_at AS DisabledAt, allowed_origins AS AllowedOrigins FROM tenancy.tenants WHERE id = @tenantId",
            new { tenantId }, cancellationToken: ct));
        if (tenant is null)
        {
            return null;
        }

        var plan = await connection.QuerySingleOrDefaultAsync<PlanRow>(new CommandDefinition(
            $"SELECT {PlanColumns} FROM tenancy.plans p WHERE p.tenant_id = @tenantId", new { tenantId }, cancellationToken: ct));
        tenant.PlanName = plan?.Name;
        return (tenant, plan?.ToPlan(plans.Named(plan.Name) ?? plans.Default));
    }

    /// <summary>Replaces the tenant's plan; false when there is no such tenant.</summary>
    public async Task<bool> SetPlanAsync(Guid tenantId, TenantPlan plan, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM tenancy.tenants WHERE id = @tenantId)", new { tenantId }, tx, cancellationToken: ct)))
        {
            return false;
        }

        await SavePlanAsync(connection, tx, tenantId, plan, ct);
        await TenancyNotifier.NotifyAsync(connection, tx, tenantId, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>Disables (keys stop working everywhere) or re-enables a tenant; false when there is no such tenant.</summary>
    public async Task<bool> SetDisabledAsync(Guid tenantId, bool disabled, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var found = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE tenancy.tenants SET disabled_at = CASE WHEN @disabled THEN coalesce(disabled_at, now()) END
            WHERE id = @tenantId
            """, new { tenantId, disabled }, tx, cancellationToken: ct)) == 1;
        await TenancyNotifier.NotifyAsync(connection, tx, tenantId, ct);
        await tx.CommitAsync(ct);
        return found;
    }

    /// <summary>Replaces the tenant's allowed origins, announced to every instance; false when there is no such tenant.</summary>
    public async Task<bool> SetOriginsAsync(Guid tenantId, IReadOnlyList<string> origins, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var found = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE tenancy.tenants SET allowed_origins = @origins WHERE id = @tenantId",
            new { tenantId, origins = origins.ToArray() }, tx, cancellationToken: ct)) == 1;
        await TenancyNotifier.NotifyAsync(connection, tx, tenantId, ct);
        await tx.CommitAsync(ct);
        return found;
    }

    /// <summary>
    /// The allowed origins of every enabled tenant that has some (<paramref name="tenantId"/>: of that
    /// tenant only, none when it is disabled or gone): what preflights and browser keys are checked against.
    /// </summary>
    public async Task<IReadOnlyList<(Guid TenantId, string[] Origins)>> OriginsAsync(Guid? tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(Guid, string[])>(new CommandDefinition(
            """
            SELECT id, allowed_origins FROM tenancy.tenants
            WHERE cardinality(allowed_origins) > 0 AND disabled_at IS NULL AND (@tenantId::uuid IS NULL OR id = @tenantId)
            """, new { tenantId }, cancellationToken: ct))).AsList();
    }

    private static Task<int> SavePlanAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid tenantId, TenantPlan plan, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO tenancy.plans (tenant_id, name, requests_per_second, burst, max_in_flight, daily_images, monthly_images,
                                       max_image_bytes, max_images_per_job, allowed_priorities, retention_days, store_images, region, default_model,
                                       browser_requests_per_second, browser_burst)
            VALUES (@tenantId, @Name, @RequestsPerSecond, @Burst, @MaxInFlight, @DailyImages, @MonthlyImages,
                    @MaxImageBytes, @MaxImagesPerJob, @priorities, @RetentionDays, @StoreImages, @Region, @DefaultModel,
                    @BrowserRequestsPerSecond, @BrowserBurst)
            ON CONFLICT (tenant_id) DO UPDATE SET
                name = excluded.name, requests_per_second = excluded.requests_per_second, burst = excluded.burst,
                max_in_flight = excluded.max_in_flight, daily_images = excluded.daily_images, monthly_images = excluded.monthly_images,
                max_image_bytes = excluded.max_image_bytes, max_images_per_job = excluded.max_images_per_job,
                allowed_priorities = excluded.allowed_priorities, retention_days = excluded.retention_days,
                store_images = excluded.store_images, region = excluded.region, default_model = excluded.default_model,
                browser_requests_per_second = excluded.browser_requests_per_second, browser_burst = excluded.browser_burst, updated_at = now()
            """,
            new
            {
                tenantId,
                plan.Name,
                plan.RequestsPerSecond,
                plan.Burst,
                plan.MaxInFlight,
                plan.DailyImages,
                plan.MonthlyImages,
                plan.MaxImageBytes,
                plan.MaxImagesPerJob,
                priorities = plan.AllowedPriorities.ToArray(),
                plan.RetentionDays,
                plan.StoreImages,
                plan.Region,
                plan.DefaultModel,
                plan.BrowserRequestsPerSecond,
                plan.BrowserBurst,
            },
            tx,
            cancellationToken: ct));

    private sealed class PlanRow
    {
        public string Name { get; set; } = "";

        public double RequestsPerSecond { get; set; }

        public int Burst { get; set; }

        public int MaxInFlight { get; set; }

        public long DailyImages { get; set; }

        public long MonthlyImages { get; set; }

        public long MaxImageBytes { get; set; }

        public int MaxImagesPerJob { get; set; }

        public string[] AllowedPriorities { get; set; } = [];

        public int RetentionDays { get; set; }

        public bool StoreImages { get; set; }

        public string Region { get; set; } = "";

        public string? DefaultModel { get; set; }

        public double? BrowserRequestsPerSecond { get; set; }

        public int? BrowserBurst { get; set; }

        /// <summary>A plan stored before browser keys existed takes their rate from its configured plan, never above its own.</summary>
        public TenantPlan ToPlan(TenantPlan configured) => new(Name, RequestsPerSecond, Burst, MaxInFlight, DailyImages, MonthlyImages, MaxImageBytes, MaxImagesPerJob, AllowedPriorities, RetentionDays, StoreImages, Region)
        {
            DefaultModel = DefaultModel,
            BrowserRequestsPerSecond = BrowserRequestsPerSecond ?? Math.Min(configured.BrowserRequestsPerSecond, RequestsPerSecond),
            BrowserBurst = BrowserBurst ?? Math.Min(configured.BrowserBurst, Burst),
        };
    }
}
