using Detector.Modules.Labeling.Storage;
using Detector.Modules.Results.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Labeling.Sampling;

/// <summary>
/// Turns results into candidates and items, and holds the configured strategies. RareClass's
/// window of recent results lives here, on this instance: it fills as the rounds this instance
/// runs go by (after a restart, the strategy judges nothing until MinResults were seen again).
/// </summary>
internal sealed class Candidates(DisagreementStore disagreements, IOptions<LabelingOptions> options)
{
    private readonly IReadOnlyList<ConfiguredStrategy> _strategies = Configure(options.Value.Strategies);

    public static IReadOnlyList<ConfiguredStrategy> Configure(StrategiesOptions s) =>
    [
        new(new FeedbackStrategy(), s.Feedback.Enabled, s.Feedback.Share, s.Feedback.DailyCapPerTenant),
        new(new ShadowDisagreementStrategy(), s.ShadowDisagreement.Enabled, s.ShadowDisagreement.Share, s.ShadowDisagreement.DailyCapPerTenant),
        new(new LowConfidenceStrategy(s.LowConfidence.Low, s.LowConfidence.High), s.LowConfidence.Enabled, s.LowConfidence.Share, s.LowConfidence.DailyCapPerTenant),
        new(new RareClassStrategy(s.RareClass.MaxShare, s.RareClass.RecentResults, s.RareClass.MinResults), s.RareClass.Enabled, s.RareClass.Share, s.RareClass.DailyCapPerTenant),
        new(new RandomStrategy(), s.Random.Enabled, s.Random.Share, s.Random.DailyCapPerTenant),
    ];

    public StrategyPicker Picker(IReadOnlyDictionary<(Guid Tenant, string Strategy), int> alreadyToday) => new(_strategies, alreadyToday);

    public static Candidate Of(Guid tenantId, ResultDocument d) =>
        new(d.Id, tenantId, d.CreatedAt, d.Model.Name, d.Model.Version, d.Image.Sha256, d.Image.Width, d.Image.Height, d.Detections);

    public static NewItem ItemOf(Candidate c, string strategy) => new(
        Guid.NewGuid(), c.TenantId, c.ResultId, c.ImageSha256, c.Width, c.Height, c.Model, c.Version, strategy,
        [.. c.Detections.Select(d => new Suggestion(d.Label, d.Score, d.Box[0], d.Box[1], d.Box[2] - d.Box[0], d.Box[3] - d.Box[1]))]);

    public async Task<IReadOnlyList<Candidate>> WithDisagreementsAsync(IReadOnlyList<Candidate> fed, CancellationToken ct)
    {
        if (!options.Value.Strategies.ShadowDisagreement.Enabled || fed.Count == 0)
        {
            return fed;
        }

        var found = await disagreements.MatchingAsync([.. fed.Select(c => (c.TenantId, c.Model, c.ImageSha256))], ct);
        return [.. fed.Select(c => found.Contains((c.TenantId, c.Model, c.ImageSha256)) ? c with { HasDisagreement = true } : c)];
    }
}
