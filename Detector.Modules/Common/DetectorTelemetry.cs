using System.Diagnostics;

namespace Detector.Modules.Common;

/// <summary>The one ActivitySource every module starts its spans from, so a tracer needs one name.</summary>
public static class DetectorTelemetry
{
    public const string SourceName = "Detector";

    public static readonly ActivitySource Source = new(SourceName);
}
