namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// Reusable float arrays of exactly one length (a model's input or output tensor for one image).
/// </summary>
/// <remarks>
/// ArrayPool rounds up to a power of two (a 1.2 MB YOLOX output became a 2 MB array) and its
/// buckets still allocated now and then under steady traffic; this pool hands out exact-length
/// arrays and allocates only while the number in flight grows past what it has seen.
/// Arrays beyond <c>capacity</c> are left to the GC when returned.
/// </remarks>
internal sealed class TensorPool(int length, int capacity, Action? onAllocate = null)
{
    private readonly Lock _gate = new();
    private readonly float[]?[] _free = new float[Math.Max(1, capacity)][];
    private int _count;

    private long _allocated;

    public int Length => length;

    /// <summary>Arrays this pool has had to allocate: flat once traffic is steady.</summary>
    public long Allocated => Volatile.Read(ref _allocated);

    /// <summary>
    /// Allocates up to <paramref name="count"/> arrays now, at start-up, so the first busy
    /// seconds reuse them instead of growing the pool from the batch loop.
    /// </summary>
    public void Prefill(int count)
    {
        lock (_gate)
        {
            while (_count < Math.Min(count, _free.Length))
            {
                _free[_count++] = GC.AllocateUninitializedArray<float>(length);
                _allocated++;
                onAllocate?.Invoke();
            }
        }
    }

    public float[] Rent()
    {
        lock (_gate)
        {
            if (_count > 0)
            {
                var array = _free[--_count]!;
                _free[_count] = null;
                return array;
            }
        }

        Interlocked.Increment(ref _allocated);
        onAllocate?.Invoke();
        // Every element is overwritten before it is read: inputs by the preprocessor, outputs by the executor.
        return GC.AllocateUninitializedArray<float>(length);
    }

    public void Return(float[] array)
    {
        if (array.Length != length)
        {
            throw new ArgumentException($"This pool holds arrays of {length} floats, not {array.Length}.", nameof(array));
        }

        lock (_gate)
        {
            if (_count < _free.Length)
            {
                _free[_count++] = array;
            }
        }
    }
}
