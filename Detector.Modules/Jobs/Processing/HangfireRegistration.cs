using Detector.Modules.Common;
using Hangfire;
using Hangfire.Common;
using Hangfire.PostgreSql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Jobs.Processing;

/// <summary>Hangfire on the process's data source, through DI only: no JobStorage.Current, no GlobalJobFilters.</summary>
internal static class HangfireRegistration
{
    public static void AddJobsHangfire(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<HangfireSettings>(HangfireSettings.SectionName);
        services.AddSingleton<TicketFilter>();
        // Registered before AddHangfire (which only TryAdds these), so each host gets its own
        // storage on its own data source and its own filters, even when tests run several hosts.
        services.AddSingleton<IJobFilterProvider, JobsFilterProvider>();
        services.AddSingleton<JobStorage>(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<HangfireSettings>>().Value;
            return new PostgreSqlStorage(new DataSourceConnectionFactory(sp.GetRequiredService<NpgsqlDataSource>()), new PostgreSqlStorageOptions
            {
                SchemaName = settings.Schema,
                PrepareSchemaIfNecessary = true,
                QueuePollInterval = TimeSpan.FromMilliseconds(settings.QueuePollIntervalMs),
                InvisibilityTimeout = TimeSpan.FromSeconds(settings.InvisibilityTimeoutSeconds),
                UseSlidingInvisibilityTimeout = true,
                DistributedLockTimeout = TimeSpan.FromSeconds(settings.DistributedLockTimeoutSeconds),
            });
        });
        services.AddHostedService<RecurringJobsCleanup>();
        services.AddHangfire(config => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings());

        // Whether this instance runs workers decides what is registered, so it is read here, from this module's own section.
        if (builder.Configuration.GetSection(HangfireSettings.SectionName).GetValue(nameof(HangfireSettings.RunServer), true))
        {
            services.AddHangfireServer((sp, server) =>
            {
                var settings = sp.GetRequiredService<IOptions<HangfireSettings>>().Value;
                server.WorkerCount = settings.ResolveWorkerCount();
                server.Queues = ["high", "default", "low"];
                server.SchedulePollingInterval = TimeSpan.FromMilliseconds(settings.SchedulePollingIntervalMs);
                server.ServerName = sp.GetRequiredService<IOptions<JobsOptions>>().Value.ResolveInstanceId();
            });
        }
    }
}
