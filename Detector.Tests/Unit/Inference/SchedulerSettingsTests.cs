using Detector.Modules.Inference;
using Detector.Modules.Inference.Scheduling;

namespace Detector.Tests.Unit.Inference;

public sealed class SchedulerSettingsTests
{
    [Theory]
    [InlineData(1, 2, 2)]
    [InlineData(1, 16, 16)]
    [InlineData(2, 16, 8)]
    [InlineData(0, 16, 1)]
    [InlineData(4, 2, 1)]
    public void Auto_slots_on_cpu_give_each_run_its_intra_op_threads(int intraOpThreads, int cores, int expected)
    {
        var options = new InferenceOptions { IntraOpThreads = intraOpThreads, ExecutorSlots = 0 };

        Assert.Equal(expected, SchedulerSettings.SlotsFor("m", options, onCpu: true, cores));
    }

    [Fact]
    public void Auto_slots_on_a_gpu_are_two_and_a_configured_number_wins()
    {
        var options = new InferenceOptions { IntraOpThreads = 1, ExecutorSlots = 0 };
        options.PerModel["pinned"] = new ModelSchedulingOverride { ExecutorSlots = 3 };

        Assert.Equal(2, SchedulerSettings.SlotsFor("m", options, onCpu: false, cores: 16));
        Assert.Equal(3, SchedulerSettings.SlotsFor("pinned", options, onCpu: true, cores: 16));
        options.ExecutorSlots = 5;
        Assert.Equal(5, SchedulerSettings.SlotsFor("m", options, onCpu: true, cores: 16));
    }

    [Theory]
    [InlineData(true, 1, 1)]
    [InlineData(true, 0, 4)]
    [InlineData(true, 2, 4)]
    [InlineData(false, 1, 32)]
    public void Auto_max_batch_follows_what_batching_buys_on_the_provider(bool onCpu, int intraOpThreads, int expected)
    {
        var options = new InferenceOptions { IntraOpThreads = intraOpThreads, MaxBatchSize = 0 };

        Assert.Equal(expected, SchedulerSettings.For("m", options, onCpu).MaxBatchSize);
    }

    [Fact]
    public void A_configured_max_batch_wins_over_auto_and_per_model_over_global()
    {
        var options = new InferenceOptions { IntraOpThreads = 1, MaxBatchSize = 8 };
        options.PerModel["small"] = new ModelSchedulingOverride { MaxBatchSize = 2 };

        Assert.Equal(8, SchedulerSettings.For("m", options, onCpu: true).MaxBatchSize);
        Assert.Equal(2, SchedulerSettings.For("small", options, onCpu: false).MaxBatchSize);
    }
}
