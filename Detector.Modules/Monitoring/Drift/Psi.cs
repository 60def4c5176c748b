namespace Detector.Modules.Monitoring.Drift;

/// <summary>
/// The population stability index of two histograms over the same bins:
/// sum over bins of (a - b) x ln(a / b), a and b the bins' shares. An empty bin counts as a tiny
/// share (1e-4) so one new value in a bin never seen makes a finite, bounded term.
/// </summary>
internal static class Psi
{
    private const double Floor = 1e-4;

    public static double Of(ReadOnlySpan<long> baseline, ReadOnlySpan<long> window)
    {
        long totalBaseline = 0, totalWindow = 0;
        foreach (var b in baseline)
        {
            totalBaseline += b;
        }

        foreach (var w in window)
        {
            totalWindow += w;
        }

        if (totalBaseline == 0 || totalWindow == 0)
        {
            return 0;
        }

        double psi = 0;
        for (var i = 0; i < baseline.Length; i++)
        {
            var b = Math.Max(baseline[i] / (double)totalBaseline, Floor);
            var w = Math.Max(window[i] / (double)totalWindow, Floor);
            psi += (w - b) * Math.Log(w / b);
        }

        return psi;
    }
}
