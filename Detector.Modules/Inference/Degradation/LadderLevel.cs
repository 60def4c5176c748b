namespace Detector.Modules.Inference.Degradation;

/// <summary>
/// The ladder's rung from the backlog over time, with hysteresis: up at once when the backlog
/// (as a share of the sync budget) crosses a rung's threshold; down one rung only after it stayed
/// below <c>threshold x releaseFactor</c> for <c>releaseAfter</c>. Rung i (1-based) engages at
/// <c>thresholds[i - 1]</c>, in ascending order. Pure, so its thresholds are unit-tested; not
/// thread-safe (the ladder evaluates it under a lock).
/// </summary>
internal sealed class LadderLevel(IReadOnlyList<double> thresholds, double releaseFactor, TimeSpan releaseAfter)
{
    private TimeSpan? _belowSince;

    public int Level { get; private set; }

    /// <summary>Folds in one backlog reading taken at <paramref name="now"/>; true when the level changed.</summary>
    public bool Update(double share, TimeSpan now)
    {
        var target = 0;
        while (target < thresholds.Count && share >= thresholds[target])
        {
            target++;
        }

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

        var release = thresholds[Level - 1] * releaseFactor;
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
