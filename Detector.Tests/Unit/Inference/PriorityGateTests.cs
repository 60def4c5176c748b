using Detector.Modules.Inference;
using Detector.Modules.Inference.Contracts;

namespace Detector.Tests.Unit.Inference;

public sealed class PriorityGateTests
{
    [Fact]
    public async Task A_freed_slot_goes_to_a_waiting_interactive_request_before_earlier_background_ones()
    {
        var gate = new PriorityGate(1);
        await gate.WaitAsync(DetectionPriority.Background, CancellationToken.None);
        var background = gate.WaitAsync(DetectionPriority.Background, CancellationToken.None);
        var interactive = gate.WaitAsync(DetectionPriority.Interactive, CancellationToken.None);
        Assert.False(background.IsCompleted);
        Assert.False(interactive.IsCompleted);

        gate.Release();
        await interactive.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(background.IsCompleted);

        gate.Release();
        await background.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_waiter_whose_deadline_passes_is_refused_with_deadline_exceeded_and_its_turn_passes_on()
    {
        var gate = new PriorityGate(1);
        await gate.WaitAsync(DetectionPriority.Interactive, CancellationToken.None);
        var late = gate.WaitAsync(DetectionPriority.Interactive, Guid.NewGuid(), DateTimeOffset.UtcNow.AddMilliseconds(50), CancellationToken.None);
        var next = gate.WaitAsync(DetectionPriority.Interactive, Guid.NewGuid(), DateTimeOffset.UtcNow.AddSeconds(30), CancellationToken.None);

        var refused = await Assert.ThrowsAsync<Detector.Modules.Common.DomainException>(() => late.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(Detector.Modules.Common.ErrorCodes.DeadlineExceeded, refused.Code);
        Assert.False(next.IsCompleted);
        gate.Release();
        await next.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_cancelled_waiter_passes_its_turn_on()
    {
        var gate = new PriorityGate(1);
        await gate.WaitAsync(DetectionPriority.Interactive, CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var cancelled = gate.WaitAsync(DetectionPriority.Interactive, cts.Token);
        var next = gate.WaitAsync(DetectionPriority.Interactive, CancellationToken.None);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        gate.Release();
        await next.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Free_slots_are_taken_at_once_and_come_back_on_release()
    {
        var gate = new PriorityGate(2);
        Assert.True(gate.WaitAsync(DetectionPriority.Background, CancellationToken.None).IsCompletedSuccessfully);
        Assert.True(gate.WaitAsync(DetectionPriority.Interactive, CancellationToken.None).IsCompletedSuccessfully);
        var third = gate.WaitAsync(DetectionPriority.Interactive, CancellationToken.None);
        Assert.False(third.IsCompleted);
        gate.Release();
        await third.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_tenant_with_no_one_waiting_gets_the_next_slot_before_a_backlogged_tenant_once_a_round()
    {
        var gate = new PriorityGate(1);
        Guid heavy = Guid.NewGuid(), light = Guid.NewGuid();
        await gate.WaitAsync(DetectionPriority.Interactive, heavy, CancellationToken.None);
        var heavyWaiters = Enumerable.Range(0, 3).Select(_ => gate.WaitAsync(DetectionPriority.Interactive, heavy, CancellationToken.None)).ToList();
        gate.Release();
        await heavyWaiters[0].WaitAsync(TimeSpan.FromSeconds(5)); // heavy's first wait: its turn as a new tenant

        var first = gate.WaitAsync(DetectionPriority.Interactive, light, CancellationToken.None);
        var second = gate.WaitAsync(DetectionPriority.Interactive, light, CancellationToken.None);
        gate.Release();
        await first.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(heavyWaiters[1].IsCompleted);

        // Light's second request waits its turn in the ring, behind heavy.
        gate.Release();
        await heavyWaiters[1].WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(second.IsCompleted);
        gate.Release();
        await second.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(heavyWaiters[2].IsCompleted);
    }
}
