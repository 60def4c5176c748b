using Detector.Modules.Inference;
using Detector.Modules.Inference.Runtime;

namespace Detector.Tests.Unit.Inference;

public sealed class ProviderSelectorTests
{
    private static readonly string[] CpuOnly = [ProviderSelector.Cpu];
    private static readonly string[] WithCuda = [ProviderSelector.Cuda, ProviderSelector.Cpu];
    private static readonly string[] WithTensorRt = [ProviderSelector.TensorRt, ProviderSelector.Cuda, ProviderSelector.Cpu];

    [Fact]
    public void Auto_without_a_gpu_uses_the_cpu()
    {
        // The GPU package ships the CUDA provider even on machines without a device.
        Assert.Equal(CpuOnly, ProviderSelector.Candidates(ExecutionProviderKind.Auto, WithCuda, gpuPresent: false));
        Assert.Equal(CpuOnly, ProviderSelector.Candidates(ExecutionProviderKind.Auto, CpuOnly, gpuPresent: false));
    }

    [Fact]
    public void Auto_with_a_gpu_and_cuda_runtime_tries_cuda_then_cpu()
    {
        Assert.Equal(WithCuda, ProviderSelector.Candidates(ExecutionProviderKind.Auto, WithTensorRt, gpuPresent: true));
        Assert.Equal(CpuOnly, ProviderSelector.Candidates(ExecutionProviderKind.Auto, CpuOnly, gpuPresent: true));
    }

    [Fact]
    public void Explicit_cuda_falls_back_to_cpu_when_the_runtime_lacks_it()
    {
        Assert.Equal(CpuOnly, ProviderSelector.Candidates(ExecutionProviderKind.Cuda, CpuOnly, gpuPresent: true));
        Assert.Equal(WithCuda, ProviderSelector.Candidates(ExecutionProviderKind.Cuda, WithCuda, gpuPresent: true));
    }

    [Fact]
    public void TensorRt_tries_tensorrt_then_cuda_then_cpu()
    {
        Assert.Equal(WithTensorRt, ProviderSelector.Candidates(ExecutionProviderKind.TensorRt, WithTensorRt, gpuPresent: true));
        Assert.Equal(WithCuda, ProviderSelector.Candidates(ExecutionProviderKind.TensorRt, WithCuda, gpuPresent: true));
        Assert.Equal(CpuOnly, ProviderSelector.Candidates(ExecutionProviderKind.TensorRt, CpuOnly, gpuPresent: true));
    }

    [Fact]
    public void Cpu_is_cpu()
    {
        Assert.Equal(CpuOnly, ProviderSelector.Candidates(ExecutionProviderKind.Cpu, WithTensorRt, gpuPresent: true));
    }
}
