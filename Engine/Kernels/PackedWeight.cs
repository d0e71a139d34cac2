using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// A linear layer's weight, packed once at load into the panel layout the GEMM micro-kernels stream.
/// Immutable after <see cref="Pack"/> and safe to share between threads.
/// </summary>
/// <remarks>
/// Source w: [n, k] row-major (nn.Linear / Hugging Face). Packed: ceil(n / 32) panels of <see cref="PanelWidth"/> = 32
/// output columns (zero past n); each panel is two sub-panels of <see cref="SubPanelWidth"/> = 16 columns, one after
/// the other: sub-panel h of panel q holds, for p = 0..k-1, the 16 floats w[q*32 + h*16 + 0..15, p].
/// So column j of a panel at k step p is at panel + (j / 16) * 16k + p * 16 + j % 16. One k step of a sub-panel is one
/// zmm (two ymm) load, any k range [k0, k0+kc) of a sub-panel is one contiguous block, and a kernel that covers only
/// 16 columns at a time (the AVX2 6×16 tile) streams contiguous memory instead of every other cache line.
/// The storage is a pinned (POH) array aligned to 64 bytes, so kernels can use raw pointers without fixing.
/// </remarks>
public sealed class PackedWeight
{
    /// <summary>Output columns per panel (two Vector512&lt;float&gt;).</summary>
    public const int PanelWidth = 32;

    /// <summary>Output columns per sub-panel (one Vector512&lt;float&gt;); a panel is two sub-panels, each [k, 16].</summary>
    public const int SubPanelWidth = 16;

    private const int AlignFloats = 16; // 64 bytes

    private readonly float[] _storage; // pinned; the data starts at _offset
    private readonly int _offset;

    /// <summary>Output features (rows of the source weight).</summary>
    public int N { get; }

    /// <summary>Input features (columns of the source weight).</summary>
    public int K { get; }

    /// <summary>Number of 32-column panels, ceil(N / 32).</summary>
    public int PanelCount { get; }

    private PackedWeight(float[] storage, int offset, int n, int k, int panels)
    {
        _storage = storage;
        _offset = offset;
        N = n;
        K = k;
        PanelCount = panels;
    }

    /// <summary>Packs w: [n, k] row-major into 32-column panels (<see cref="PackedWeightWriter"/> with every row at once).</summary>
    public static PackedWeight Pack(ReadOnlySpan<float> w, int n, int k)
    {
        CheckShape(n, k);
        GemmArguments.CheckLength(w, n, k, nameof(w), "[n, k]");
        if (w.Length != (long)n * k)
            throw new ArgumentException($"w has {w.Length} elements but its shape [n, k] = [{n}, {k}] needs exactly {(long)n * k}.", nameof(w));
        var writer = new PackedWeightWriter(n, k);
        writer.Append(w);
        return writer.Complete();
    }

    /// <summary>Storage for [n, k]: Size = Panels · <see cref="PanelWidth"/> · k floats from Offset, pinned, aligned to 64 bytes, uninitialized.</summary>
    internal static (float[] Storage, int Offset, int Panels, int Size) Allocate(int n, int k)
    {
        CheckShape(n, k);
        int panels = (n + PanelWidth - 1) / PanelWidth;
        long size = (long)panels * PanelWidth * k;
        if (size + AlignFloats > Array.MaxLength)
            throw new ArgumentException($"a weight [n, k] = [{n}, {k}] is too large to pack into one array.", nameof(n));
        float[] storage = GC.AllocateUninitializedArray<float>((int)size + AlignFloats, pinned: true);
        return (storage, AlignmentOffset(storage), panels, (int)size);
    }

    private static void CheckShape(int n, int k)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "n (output features, rows of w) must be > 0.");
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), k, "k (input features, columns of w) must be > 0.");
    }

    internal static PackedWeight Create(float[] storage, int offset, int n, int k, int panels) => new(storage, offset, n, k, panels);

    /// <summary>Pointer to panel 0, sub-panel 0, k step 0. Valid for the object's lifetime (the array is pinned).</summary>
    internal unsafe float* Data => (float*)Unsafe.AsPointer(ref _storage[_offset]);

    /// <summary>The packed floats (panel-major), for tests and diagnostics.</summary>
    internal ReadOnlySpan<float> Packed => _storage.AsSpan(_offset, PanelCount * PanelWidth * K);

    /// <summary>w[row, column] of the source [n, k] weight, read back from the panels.</summary>
    public float this[int row, int column]
    {
        get
        {
            if ((uint)row >= (uint)N || (uint)column >= (uint)K)
                throw new ArgumentOutOfRangeException(nameof(row), $"[{row},{column}] is outside [{N},{K}]");
            int panel = row / PanelWidth, sub = row % PanelWidth / SubPanelWidth;
            return _storage[_offset + ((long)panel * 2 + sub) * SubPanelWidth * K + (long)column * SubPanelWidth + row % SubPanelWidth];
        }
    }

    private static unsafe int AlignmentOffset(float[] pinned)
    {
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        int misalignment = (int)(address & (AlignFloats * sizeof(float) - 1)) / sizeof(float);
        return misalignment == 0 ? 0 : AlignFloats - misalignment;
    }
}
