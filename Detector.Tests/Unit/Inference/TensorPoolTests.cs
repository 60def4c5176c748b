using Detector.Modules.Inference.Scheduling;

namespace Detector.Tests.Unit.Inference;

public sealed class TensorPoolTests
{
    [Fact]
    public void Returned_arrays_are_reused_and_exact_length()
    {
        var pool = new TensorPool(length: 301_665, capacity: 4);
        pool.Prefill(2);

        var a = pool.Rent();
        var b = pool.Rent();
        pool.Return(a);
        pool.Return(b);
        var c = pool.Rent();
        var d = pool.Rent();

        Assert.Equal(301_665, a.Length);
        Assert.Same(b, c);
        Assert.Same(a, d);
        Assert.Equal(2, pool.Allocated);
    }

    [Fact]
    public void An_empty_pool_allocates_and_a_full_one_drops_returns()
    {
        var pool = new TensorPool(length: 8, capacity: 1);
        var first = pool.Rent();
        var second = pool.Rent();
        pool.Return(first);
        pool.Return(second);

        Assert.Same(first, pool.Rent());
        Assert.NotSame(second, pool.Rent());
        Assert.Equal(3, pool.Allocated);
    }

    [Fact]
    public void An_array_of_another_length_is_refused()
    {
        var pool = new TensorPool(length: 8, capacity: 4);

        Assert.Throws<ArgumentException>(() => pool.Return(new float[16]));
    }
}
