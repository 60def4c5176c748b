using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Scheduling;

namespace Detector.Tests.Unit.Inference;

public sealed class FairLaneTests
{
    [Fact]
    public void A_tenant_sending_one_request_at_a_time_is_served_in_its_turn_each_time()
    {
        var lane = new FairLane();
        var light = Guid.NewGuid();
        var heavy = Guid.NewGuid();
        for (var i = 0; i < 3; i++)
        {
            lane.Add(Item(100 + i, heavy));
        }

        for (var round = 0; round < 3; round++)
        {
            lane.Add(Item(round, light));
            Assert.Equal(100 + round, lane.TakeNext()!.Input[0]);
            Assert.Equal(round, lane.TakeNext()!.Input[0]);
        }

        Assert.True(lane.IsEmpty);
        Assert.Null(lane.TakeNext());
    }

    [Fact]
    public void A_lane_that_has_seen_more_tenants_than_it_keeps_queues_for_loses_no_queued_item()
    {
        var lane = new FairLane();
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
        var lane = new FairLane();
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

    private static WorkItem Item(float tag, Guid tenant) =>
        new(FakeRuntime.Input(tag), DetectionPriority.Interactive, long.MaxValue, tenant);
}
