using Detector.Modules.Common;
using Detector.Modules.Labeling.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Labeling.Sampling;

/// <summary>The sampler's timer (ADR 0015): a round every <c>Labeling:Sampler:IntervalSeconds</c> on every instance (a round another holds is skipped), and the pruning of old disagreements.</summary>
internal sealed partial class LabelingSampler(SamplerRound round, DisagreementStore disagreements, IOptions<LabelingOptions> options, TimeProvider time, ILogger<LabelingSampler> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value.Sampler;
        return !o.Enabled
            ? Task.CompletedTask
            : PeriodicRounds.RunAsync(TimeSpan.FromSeconds(o.IntervalSeconds), time, async ct =>
            {
                var now = time.GetUtcNow();
                await round.RunAsync(now, ct);
                await disagreements.PruneAsync(now.AddHours(-o.DisagreementRetentionHours), ct);
            }, ex => LogRoundFailed(logger, ex), stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A labeling sampler round failed; the next round tries again")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);
}
