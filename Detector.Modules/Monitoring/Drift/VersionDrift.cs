using Detector.Modules.Inference.Contracts;

namespace Detector.Modules.Monitoring.Drift;

/// <summary>
/// One version's drift state: its baseline histograms (its first served requests) and the current
/// window's. Tumbling windows: when one is full its PSI per feature is answered and it starts
/// again empty. Not thread-safe: the monitor adds under this object's lock.
/// </summary>
internal sealed class VersionDrift(int baselineRequests, int windowRequests)
{
    private readonly long[][] _baseline = Histograms();
    private long[][] _window = Histograms();
    private int _baselineSeen;
    private int _windowSeen;

    public bool HasBaseline => _baselineSeen >= baselineRequests;

    /// <summary>Counts one served request; answers every feature's PSI when it completes a window, else null.</summary>
    public IReadOnlyDictionary<string, double>? Add(ObservedDetection detection, ObservedImage input)
    {
        var target = HasBaseline ? _window : _baseline;
        Count(target, detection, input);
        if (!HasBaseline)
        {
            _baselineSeen++;
            return null;
        }

        if (++_windowSeen < windowRequests)
        {
            return null;
        }

        var psi = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var f = 0; f < DriftFeatures.All.Length; f++)
        {
            psi[DriftFeatures.All[f].Name] = Psi.Of(_baseline[f], _window[f]);
        }

        (_window, _windowSeen) = (Histograms(), 0);
        return psi;
    }

    private static void Count(long[][] into, ObservedDetection detection, ObservedImage input)
    {
        // Indices follow DriftFeatures.All.
        foreach (var d in detection.Detections)
        {
            into[0][DriftFeatures.ScoreBin(d.Score)]++;
            into[2][DriftFeatures.ClassBin(d.ClassId)]++;
        }

        into[1][DriftFeatures.DetectionsBin(detection.Detections.Count)]++;
        into[3][DriftFeatures.MegapixelsBin(input.Width, input.Height)]++;
        into[4][DriftFeatures.AspectBin(input.Width, input.Height)]++;
        into[5][DriftFeatures.BrightnessBin(input.Brightness)]++;
    }

    private static long[][] Histograms() => [.. DriftFeatures.All.Select(f => new long[f.Bins])];
}
