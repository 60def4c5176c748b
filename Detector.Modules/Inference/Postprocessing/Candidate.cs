namespace Detector.Modules.Inference.Postprocessing;

/// <summary>A scored box in original-image pixels, before NMS.</summary>
internal struct Candidate
{
    public float X1;
    public float Y1;
    public float X2;
    public float Y2;
    public float Score;
    public int ClassId;
}
