using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Scheduling;

namespace Detector.Tests.Unit.Inference;

public sealed class FairLaneTests
{
    [Fact]
    public void A_tenant_sending_one_request_at_a_time_is_served_before_a_backlogged_tenant_each_time()
    {
        var lane = new FairLane<WorkItem>();
        var light = Guid.NewGuid();
        var heavy = Guid.NewGuid();
        for (var i = 0; i < 4; i++)
        {
            lane.Add(Item(100 + i, heavy));
        }

        Assert.Equal(100, lane.TakeNext()!.Input[0]);
        for (var round = 0; round < 3; round++)
        {
            lane.Add(Item(round, light));
            Assert.Equal(round, lane.PeekNext()!.Input[0]);
            Assert.Equal(round, lane.TakeNext()!.Input[0]);
            Assert.Equal(101 + round, lane.TakeNext()!.Input[0]);
        }

        Assert.True(lane.IsEmpty);
        Assert.Null(lane.TakeNext());
    }

    [Fact]
    public void A_new_tenant_jumps_the_ring_once_a_round_and_then_takes_its_turn_at_the_back()
    {
        var lane = TwoTenantsInTheRing();
        var burst = Guid.NewGuid();

        // A burst from a new tenant: its first request goes next, the rest wait their turns.
        lane.Add(Item(30, burst));
        lane.Add(Item(31, burst));
        Assert.Equal([30f, 11f, 21f, 31f, 12f, 22f], Enumerable.Range(0, 6).Select(_ => lane.TakeNext()!.Input[0]));
        Assert.True(lane.IsEmpty);
    }

    [Fact]
    public void A_tenant_served_in_this_round_that_sends_again_waits_behind_the_ring_rather_than_jumping_it_again()
    {
        var lane = TwoTenantsInTheRing();
        var eager = Guid.NewGuid();
        lane.Add(Item(30, eager));
        Assert.Equal(30, lane.TakeNext()!.Input[0]);

        // Its place in the ring has not come round yet: no second jump.
        lane.Add(Item(31, eager));
        Assert.Equal([11f, 21f, 31f, 12f, 22f], Enumerable.Range(0, 5).Select(_ => lane.TakeNext()!.Input[0]));
    }

    [Fact]
    public void A_lane_that_has_seen_more_tenants_than_it_keeps_queues_for_loses_no_queued_item()
    {
        var lane = new FairLane<WorkItem>();
        for (var i = 0; i < 3; i++)
        {
            lane.Add(Item(i, Guid.NewGuid()));
        }

        // Thousands of tenants come and go, each queue emptying, so idle queues get dropped.
        var taken = new List<float>();
        for (var i = 0; i < 10_000; i++)
        {
            lane.Add(Item(1000, Guid.NewGuid()));
            taken.Add(lane.TakeNext()!.Input[0]);
        }

        while (lane.TakeNext() is { } item)
        {
            taken.Add(item.Input[0]);
        }

        Assert.Equal(10_003, taken.Count);
        Assert.Equal([0f, 1f, 2f], taken.Take(3));
        Assert.All(taken.Skip(3), tag => Assert.Equal(1000f, tag));
    }

    [Fact]
    public void A_removed_item_is_never_taken_and_its_tenant_leaves_the_ring()
    {
        var lane = new FairLane<WorkItem>();
        var a = Item(1, Guid.NewGuid());
        var b = Item(2, Guid.NewGuid());
        lane.Add(a);
        lane.Add(b);

        Assert.True(lane.Remove(a));
        Assert.False(lane.Remove(a));
        Assert.Same(b, lane.PeekNext());
        Assert.Same(b, lane.TakeNext());
        Assert.True(lane.IsEmpty);
    }

    /// <summary>Two tenants with three requests each (tagged 10-12 and 20-22), each served once: both are in the ring, backlogged.</summary>
    private static FairLane<WorkItem> TwoTenantsInTheRing()
    {
        var lane = new FairLane<WorkItem>();
        Guid heavy1 = Guid.NewGuid(), heavy2 = Guid.NewGuid();
        for (var i = 0; i < 3; i++)
        {
            lane.Add(Item(10 + i, heavy1));
            lane.Add(Item(20 + i, heavy2));
        }

        Assert.Equal(10, lane.TakeNext()!.Input[0]);
        Assert.Equal(20, lane.TakeNext()!.Input[0]);
        return lane;
    }

    private static WorkItem Item(float tag, Guid tenant) =>
        new(FakeRuntime.Input(tag), DetectionPriority.Interactive, long.MaxValue, tenant);
}
