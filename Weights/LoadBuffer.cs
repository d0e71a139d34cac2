using System.Runtime.InteropServices;

namespace BertSharp.Weights;

/// <summary>
/// A float buffer outside the GC heap for a tensor that is read once at load and then packed (a linear layer's
/// unpacked weight, a slice of a table being converted): loading leaves no large garbage arrays behind, so the
/// process's peak resident memory stays near the model's own copies. Lent by <see cref="Checkpoint.RentBuffer"/>.
/// </summary>
/// <remarks>
/// One block is lent again and again (grown when a bigger tensor comes) and freed when the checkpoint is disposed.
/// Allocating and freeing a block per tensor would leave the freed blocks resident: glibc raises its mmap threshold to
/// the largest block freed, then serves the next ones from its heap and keeps that heap (2.4 MB for all-MiniLM-L6-v2).
/// </remarks>
public sealed unsafe class LoadBuffer : IDisposable
{
    private float* _data;
    private readonly int _capacity;
    private int _length;
    private readonly Checkpoint? _owner;   // null: not lent, freed on Dispose

    /// <summary>A buffer of its own (freed on Dispose).</summary>
    public LoadBuffer(int length) : this(length, null) { }

    internal LoadBuffer(int length, Checkpoint? owner)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _capacity = _length = length;
        _owner = owner;
        _data = (float*)NativeMemory.Alloc((nuint)Math.Max(1, length), sizeof(float));
    }

    internal int Capacity => _capacity;

    /// <summary>Lends the block again with <paramref name="length"/> ≤ <see cref="Capacity"/> floats.</summary>
    internal LoadBuffer Reuse(int length)
    {
        _length = length;
        return this;
    }

    /// <summary>[length] floats, uninitialized.</summary>
    public Span<float> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_data == null, this);
            return new Span<float>(_data, _length);
        }
    }

    /// <summary>Gives a lent block back to its checkpoint (to be lent again); frees a block of its own.</summary>
    public void Dispose()
    {
        if (_owner is not null && _owner.GiveBack(this)) return;
        Free();
    }

    internal void Free()
    {
        if (_data == null) return;
        NativeMemory.Free(_data);
        _data = null;
    }
}
