using System.Runtime.InteropServices;

namespace BertSharp.Weights;

/// <summary>
/// A float buffer outside the GC heap for a tensor that is read once at load and then packed (a linear layer's
/// unpacked weight, a slice of a table being converted): loading leaves no large garbage arrays behind, so the
/// process's peak resident memory stays near the model's own copies. Lent by <see cref="Checkpoint.RentBuffer"/>.
/// </summary>
/// <remarks>
/// A lent buffer is a lease on the checkpoint's one native block, which is lent again and again (grown when a bigger
/// tensor comes) and freed when the checkpoint is disposed. Allocating and freeing a block per tensor would leave the
/// freed blocks resident: glibc raises its mmap threshold to the largest block freed, then serves the next ones from
/// its heap and keeps that heap (2.4 MB for all-MiniLM-L6-v2). A lease ends at its first Dispose; after that its
/// <see cref="Span"/> throws, whoever holds the block next.
/// </remarks>
public sealed unsafe class LoadBuffer : IDisposable
{
    private Block? _block;
    private readonly int _length;
    private readonly Checkpoint? _owner;   // null: a block of its own, freed on Dispose

    /// <summary>A buffer of its own (freed on Dispose).</summary>
    public LoadBuffer(int length) : this(Block.Allocate(length), length, null) { }

    internal LoadBuffer(Block block, int length, Checkpoint? owner)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > block.Capacity) throw new ArgumentOutOfRangeException(nameof(length), length, $"the block holds {block.Capacity} floats");
        _block = block; _length = length; _owner = owner;
    }

    /// <summary>[length] floats, uninitialized.</summary>
    public Span<float> Span
    {
        get
        {
            Block? block = _block;
            ObjectDisposedException.ThrowIf(block is null, this);
            return new Span<float>(block.Data, _length);
        }
    }

    /// <summary>Ends the lease: the block goes back to its checkpoint to be lent again (or is freed). Once only.</summary>
    public void Dispose()
    {
        Block? block = Interlocked.Exchange(ref _block, null);
        if (block is null) return;
        if (_owner is null || !_owner.GiveBack(block)) block.Free();
    }

    /// <summary>A native block of floats.</summary>
    internal sealed class Block
    {
        public float* Data { get; private set; }
        public int Capacity { get; }

        private Block(float* data, int capacity) { Data = data; Capacity = capacity; }

        public static Block Allocate(int capacity)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(capacity);
            return new((float*)NativeMemory.Alloc((nuint)Math.Max(1, capacity), sizeof(float)), capacity);
        }

        public void Free()
        {
            float* data = Data;
            Data = null;
            if (data != null) NativeMemory.Free(data);
        }
    }
}
