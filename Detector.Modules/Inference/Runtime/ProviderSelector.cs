namespace Detector.Modules.Inference.Runtime;

/// <summary>
/// Decides which execution providers to try, in order. Pure so that the choice is unit-tested on
/// machines without a GPU; whether a provider really starts is only known when it is appended.
/// </summary>
internal static class ProviderSelector
{
    public const string Cuda = "CUDAExecutionProvider";
    public const string TensorRt = "TensorrtExecutionProvider";
    public const string Cpu = "CPUExecutionProvider";

    public static IReadOnlyList<string> Candidates(ExecutionProviderKind requested, IReadOnlyCollection<string> available, bool gpuPresent)
    {
        var hasCuda = available.Contains(Cuda);
        var hasTrt = available.Contains(TensorRt);
        return requested switch
        {
            ExecutionProviderKind.Cpu => [Cpu],
            ExecutionProviderKind.Cuda => hasCuda ? [Cuda, Cpu] : [Cpu],
            ExecutionProviderKind.TensorRt => (hasTrt, hasCuda) switch
            {
                (true, true) => [TensorRt, Cuda, Cpu],
                (false, true) => [Cuda, Cpu],
                _ => [Cpu],
            },
            _ => hasCuda && gpuPresent ? [Cuda, Cpu] : [Cpu],
        };
    }

    /// <summary>A cheap probe that avoids loading CUDA libraries (and their error spam) on machines with no NVIDIA device.</summary>
    public static bool NvidiaDevicePresent() =>
        File.Exists("/dev/nvidia0") || File.Exists("/dev/nvidiactl") || OperatingSystem.IsWindows();
}
