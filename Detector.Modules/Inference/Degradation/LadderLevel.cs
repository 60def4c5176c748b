namespace Detector.Modules.Inference.Degradation;

/// <summary>
/// The ladder's rung from the backlog over time, with hysteresis: up at once when the backlog
/// (as a share of the sync budget) crosses a rung's threshold; down one rung only after it stayed
/// below <c>threshold x releaseFactor</c> for <c>releaseAfter</c>. Pure, so its thresholds are
/// unit-tested; not thread-safe (the ladder evaluates it under a lock).
/// </summary>
internal sealed class LadderLevel(double lowerResolutionAt, double fasterModelAt, double releaseFactor, TimeSpan releaseAfter)
{
    private TimeSpan? _belowSince;

    public int Level { get; private set; }

    /// <summary>Folds in one backlog reading taken at <paramref name="now"/>; true when the level changed.</summary>
    public bool Update(double share, TimeSpan now)
    {
        var target = share >= fasterModelAt ? 2 : share >= lowerResolutionAt ? 1 : 0;
        if (target > Level)
        {
            Level = target;
            _belowSince = null;
            return true;
        }

        if (Level == 0)
        {
            return false;
        }

        var release = (Level == 2 ? fasterModelAt : lowerResolutionAt) * releaseFactor;
        if (share >= release)
        {
            _belowSince = null;
            return false;
        }

        _belowSince ??= now;
        if (now - _belowSince.Value < releaseAfter)
        {
            return false;
        }

        Level--;
        _belowSince = null;
        return true;
    }
}
