namespace Detector.Modules.Inference.Scheduling;

/// <summary>Why admission said no.</summary>
internal enum Admission
{
    Admitted,
    QueueFull,
    OverBudget,
    TenantInFlight,
}
