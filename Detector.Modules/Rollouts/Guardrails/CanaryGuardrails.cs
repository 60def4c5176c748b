using Detector.Modules.Common.Resilience;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Rollouts.Comparison;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Rollouts.Guardrails;

/// <summary>
/// Judges every variant with a traffic share (a canary, an A/B variant) against production over
/// the sliding window, every <c>Rollouts:Guardrails:EvaluateEveryMs</c>: a breach sets its share
/// to 0 at once, in the registry (so every instance stops routing to it), with the reason in the
/// alias history and the audit log, logged, counted and shown in the rollout view. A canary that
/// served <c>AutoPromoteAfter</c> requests in the window without a breach (and at least
/// <c>MinRequests</c>, so it was judged at all) is promoted, when set.
/// </summary>
internal sealed partial class CanaryGuardrails(
    IModelCatalog catalog,
    IAliasChanges aliases,
    RolloutState state,
    IOptions<RolloutsOptions> options,
    ILogger<CanaryGuardrails> logger) : BackgroundService
{
    public const string Actor = "guardrail";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var g = options.Value.Guardrails;
        if (!g.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(g.EvaluateEveryMs));
        var failures = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await EvaluateAsync(g, stoppingToken);
                failures = 0;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The registry unreachable: judged again next tick, after a backoff.
                LogEvaluationFailed(logger, ex);
                await Task.Delay(Backoff.Exponential(++failures, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10)), stoppingToken);
            }
        }
    }

    internal async Task EvaluateAsync(GuardrailOptions g, CancellationToken ct)
    {
        var now = state.Now;
        foreach (var model in catalog.Snapshot.Models)
        {
            if (state.Find(model.Name) is not { } rollout)
            {
                continue;
            }

            foreach (var (alias, share) in model.Shares)
            {
                if (share <= 0 || alias == ModelAliases.Production || rollout.Variant(alias, now) is not { } variant || !model.Aliases.TryGetValue(alias, out var version) || variant.Version != version)
                {
                    continue;
                }

                var breach = GuardrailCheck.Breached(variant, rollout.Variant(ModelAliases.Production, now), rollout.Comparison(alias, now), g);
                if (breach is { } b)
                {
                    var reason = $"guardrail {b.Guardrail}: {b.Reason}";
                    if (await aliases.SetShareAsync(model.Name, alias, version, 0, Actor, reason, ct))
                    {
                        rollout.Record(new Breach(now, alias, version, b.Guardrail, b.Reason));
                        RolloutMetrics.Breaches.WithLabels(model.Name, alias, b.Guardrail).Inc();
                        LogBreach(logger, model.Name, alias, version, b.Guardrail, b.Reason);
                    }
                }
                else if (g.AutoPromoteAfter > 0 && alias == ModelAliases.Canary && variant.Requests >= Math.Max(g.AutoPromoteAfter, g.MinRequests)
                    && await aliases.PromoteAsync(model.Name, alias, version, Actor, $"{variant.Requests} canary requests without a breach", ct) is not null)
                {
                    LogPromoted(logger, model.Name, version, variant.Requests);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Rollout of {Model}@{Alias} ({Version}) rolled back: guardrail {Guardrail} breached: {Reason}")]
    private static partial void LogBreach(ILogger logger, string model, string alias, string version, string guardrail, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Canary {Model} version {Version} promoted to production after {Requests} requests without a breach")]
    private static partial void LogPromoted(ILogger logger, string model, string version, int requests);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Judging rollouts failed; judged again at the next tick")]
    private static partial void LogEvaluationFailed(ILogger logger, Exception exception);
}
