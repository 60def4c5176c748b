using System.Text.Json;
using System.Text.Json.Serialization;

namespace Detector.Modules.Models.Contracts;

/// <summary>
/// Temperature scaling of a version's scores, per class: calibrated = sigmoid(logit(score) / T),
/// T the class's own where it had enough labelled detections to fit one, else the version's. One
/// monotone map per class, so it keeps the order of scores within a class (and the mAP).
/// </summary>
/// <param name="Temperature">The version's temperature, fitted on every class at once.</param>
/// <param name="ClassTemperatures">Class index → its own temperature.</param>
/// <param name="FittedOn">What it was fitted on: the annotations file and images folder, and the sha256 of the annotations.</param>
/// <param name="EceBefore">Expected calibration error of the raw scores on the fit set.</param>
/// <param name="EceAfter">The same with calibrated scores.</param>
public sealed record ScoreCalibration(double Temperature, IReadOnlyDictionary<int, double> ClassTemperatures, string FittedOn, double EceBefore, double EceAfter)
{
    /// <summary>How it is stored with the version (models.versions.calibration).</summary>
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public float Apply(int classId, float score) => (float)Scale(score, ClassTemperatures.TryGetValue(classId, out var own) ? own : Temperature);

    public static double Scale(double score, double temperature)
    {
        var s = Math.Clamp(score, 1e-6, 1 - 1e-6);
        return 1 / (1 + Math.Exp(-Math.Log(s / (1 - s)) / temperature));
    }
}
