using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// A linear layer's weight quantized to symmetric int8 per output channel and packed once at load into the panel
/// layout the int8 GEMM micro-kernels stream. Immutable after <see cref="Quantize(ReadOnlySpan{float}, int, int, bool)"/> and safe to share between threads.
/// </summary>
/// <remarks>
/// Source w: [n, k] row-major fp32 (nn.Linear / Hugging Face). Each row j (output channel) is quantized with
/// <see cref="ActivationQuantization.QuantizeRow(ReadOnlySpan{float}, Span{sbyte})"/>: w[j, p] ≈ <see cref="Scale"/>(j) · q[j, p], q ∈ [-127, 127].
/// k is padded with zeros to <see cref="PaddedK"/> (a multiple of 4) so the kernels can always take 4-byte groups.
/// Packed: ceil(n / 16) panels of <see cref="PanelWidth"/> = 16 output columns (zero rows, scale 0, past n). Panel q
/// is PaddedK / 4 groups of 64 bytes; group g holds, column after column, the 4 bytes q[q*16 + c, 4g .. 4g+3]:
/// byte (q, g, c, t) is at q * 16 * PaddedK + g * 64 + c * 4 + t. So one group of a panel is two ymm (or four
/// Vector128) whose int32 lane c is column c's 4-element dot-product operand — the VPDPBUSD / VPMADDUBSW / SDOT
/// layout — and a panel streams contiguously.
/// The storage is a pinned (POH) array aligned to 64 bytes, so kernels can use raw pointers without fixing.
/// <para>
/// Range: by default q ∈ [-127, 127] (<see cref="ActivationQuantization.FullRange"/>). With reducedRange, q ∈ [-64, 64]
/// (<see cref="ActivationQuantization.ReducedRange"/>, scale = max|w| / 64): one bit less weight precision, in exchange
/// for the fast x64 kernels without VNNI (<see cref="Int8GemmPath.Avx2"/>, <see cref="Int8GemmPath.Avx512BW"/>), which
/// feed VPMADDUBSW the biased activations u = xq + 128 ∈ [1, 255] (u8) and q directly (s8): each int16 pair sum is at
/// most 2 · 255 · 64 = 32640 ≤ 32767 in magnitude, so it never saturates. The biased kernels start each column's int32
/// accumulator at <see cref="ZeroPointCorrection"/> = -128 · Σ_p q[c, p], so the sum they return is exactly Σ_p xq·q
/// (int32 wrap-around cancels: the true sum fits, see <see cref="MaxK"/>). Results are bit-identical on every path for
/// a given weight; full-range and reduced-range weights give different (both exact-integer) results.
/// </para>
/// <para>
/// Wide activations (<see cref="WideActivations"/>): the layer's input rows are quantized to int16 instead of int8, with
/// level <see cref="ActivationQuantization.WideLevel"/>(k) (≈ 13–16 bits: 32767 for k ≤ 516, 11008 at k = 1536), and
/// the kernels multiply int16 x by the same packed int8 w (sign-extended in registers: VPMOVSXBW + VPMADDWD). On x64
/// without VNNI this is faster than full-range int8 activations (which need the sign trick) and nearly as accurate as
/// fp32 activations — activation outliers are what int8 loses accuracy to (docs/quantization.md). The weight bytes
/// and layout are the same; only the activation width differs.
/// </para>
/// </remarks>
public sealed class QuantizedWeight
{
    /// <summary>Output columns per panel.</summary>
    public const int PanelWidth = 16;

    /// <summary>Bytes per 4-element k group of a panel (16 columns × 4).</summary>
    public const int GroupBytes = PanelWidth * 4;

    /// <summary>Longest k: k · 127 · 127 must fit an int32 accumulator (131072 · 16129 &lt; 2³¹).</summary>
    public const int MaxK = 1 << 17;

    private const int Align = 64;

    private readonly sbyte[] _storage; // pinned; the data starts at _offset
    private readonly int _offset;
    private readonly float[] _scales;  // [PanelCount * 16], 0 past n; pinned
    private readonly int[] _correction; // [PanelCount * 16]: -128 · Σ_p q[c, p], 0 past n; pinned

    /// <summary>Output features (rows of the source weight).</summary>
    public int N { get; }

    /// <summary>Input features (columns of the source weight).</summary>
    public int K { get; }

    /// <summary>K rounded up to a multiple of 4 (the padding is zeros).</summary>
    public int PaddedK { get; }

    /// <summary>Number of 16-column panels, ceil(N / 16).</summary>
    public int PanelCount { get; }

    /// <summary>The largest |q|: 127, or 64 for reduced-range weights (see remarks).</summary>
    public int MaxLevel { get; }

    /// <summary>True when q ∈ [-64, 64] (quantized with reducedRange): the fast biased-u8 x64 kernels can run it.</summary>
    public bool ReducedRange => MaxLevel == ActivationQuantization.ReducedRange;

    /// <summary>True when <see cref="Int8Gemm"/> quantizes this layer's input rows to int16 (see remarks), not int8.</summary>
    public bool WideActivations { get; }

    /// <summary>
    /// Whether reduced-range weights make <see cref="Int8Gemm"/> faster on this CPU: true on x64 with AVX2 but without
    /// AVX-VNNI (e.g. Zen 4, or any x86-64-v3 NativeAOT binary there), where full-range weights need the slower
    /// sign-trick kernel. Where VNNI or ARM dot product exist, full range costs nothing.
    /// </summary>
    public static bool ReducedRangeIsFaster => !Int8Gemm.IsSupported(Int8GemmPath.AvxVnni) && Int8Gemm.IsSupported(Int8GemmPath.Avx2);

    private QuantizedWeight(sbyte[] storage, int offset, float[] scales, int[] correction, int maxLevel, bool wideActivations,
        int n, int k, int paddedK, int panels)
    {
        WideActivations = wideActivations;
        _storage = storage;
        _offset = offset;
        _scales = scales;
        _correction = correction;
        MaxLevel = maxLevel;
        N = n;
        K = k;
        PaddedK = paddedK;
        PanelCount = panels;
    }

    /// <summary>Quantizes w: [n, k] row-major per output channel and packs it into 16-column panels.</summary>
    public static QuantizedWeight Quantize(ReadOnlySpan<float> w, int n, int k) => Quantize(w, n, k, reducedRange: false);

    /// <summary>
    /// As <see cref="Quantize(ReadOnlySpan{float}, int, int)"/>; with <paramref name="reducedRange"/> q ∈ [-64, 64]
    /// instead of [-127, 127] (see remarks and <see cref="ReducedRangeIsFaster"/>).
    /// </summary>
    public static QuantizedWeight Quantize(ReadOnlySpan<float> w, int n, int k, bool reducedRange) =>
        Quantize(w, n, k, reducedRange, wideActivations: false);

    /// <summary>
    /// As <see cref="Quantize(ReadOnlySpan{float}, int, int, bool)"/>; with <paramref name="wideActivations"/>,
    /// <see cref="Int8Gemm"/> quantizes the inputs of this weight to int16 (see remarks).
    /// </summary>
    public static QuantizedWeight Quantize(ReadOnlySpan<float> w, int n, int k, bool reducedRange, bool wideActivations)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "n (output features, rows of w) must be > 0.");
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), k, "k (input features, columns of w) must be > 0.");
        if (k > MaxK) throw new ArgumentOutOfRangeException(nameof(k), k, $"k (input features) must be <= {MaxK} so int32 sums of int8 products cannot overflow.");
        GemmArguments.CheckLength(w, n, k, nameof(w), "[n, k]");
        if (w.Length != (long)n * k)
            throw new ArgumentException($"w has {w.Length} elements but its shape [n, k] = [{n}, {k}] needs exactly {(long)n * k}.", nameof(w));

        int paddedK = (k + 3) & ~3;
        int panels = (n + PanelWidth - 1) / PanelWidth;
        long size = (long)panels * PanelWidth * paddedK;
        if (size + Align > Array.MaxLength)
            throw new ArgumentException($"w [n, k] = [{n}, {k}] is too large to pack into one array.", nameof(w));

        sbyte[] storage = GC.AllocateArray<sbyte>((int)size + Align, pinned: true); // zeroed: padding stays 0
        int offset = AlignmentOffset(storage);
        Span<sbyte> packed = storage.AsSpan(offset, (int)size);
        // Pinned: Int8Gemm reads them through raw pointers while other threads may allocate (a compacting GC must not move them).
        float[] scales = GC.AllocateArray<float>(panels * PanelWidth, pinned: true);
        int[] correction = GC.AllocateArray<int>(panels * PanelWidth, pinned: true);
        int maxLevel = reducedRange ? ActivationQuantization.ReducedRange : ActivationQuantization.FullRange;
        var row = new sbyte[k];
        for (int j = 0; j < n; j++)
        {
            float scale = ActivationQuantization.QuantizeRow(w.Slice(j * k, k), row, maxLevel);
            if (float.IsNaN(scale))
                throw new ArgumentException($"w row {j} (output channel {j}) holds a NaN or infinite value; it cannot be quantized.", nameof(w));
            scales[j] = scale;
            Span<sbyte> panel = packed.Slice(j / PanelWidth * PanelWidth * paddedK);
            int column = j % PanelWidth, sum = 0;
            for (int p = 0; p < k; p++)
            {
                panel[p / 4 * GroupBytes + column * 4 + p % 4] = row[p];
                sum += row[p];
            }
            correction[j] = -128 * sum; // |sum| ≤ 127 · 2^17, so -128 · sum fits an int32
        }
        return new QuantizedWeight(storage, offset, scales, correction, maxLevel, wideActivations, n, k, paddedK, panels);
    }

    /// <summary>Pointer to panel 0, group 0. Valid for the object's lifetime (the array is pinned).</summary>
    internal unsafe sbyte* Data => (sbyte*)Unsafe.AsPointer(ref _storage[_offset]);

    /// <summary>Per-column start values of the biased kernels' accumulators: -128 · Σ_p q[c, p], [PanelCount · 16] (0 past N).</summary>
    internal int[] ZeroPointCorrection => _correction;

    /// <summary>Per-column scales, [PanelCount · 16] (0 past N).</summary>
    internal float[] Scales => _scales;

    /// <summary>The packed bytes (panel-major), for tests and diagnostics.</summary>
    internal ReadOnlySpan<sbyte> Packed => _storage.AsSpan(_offset, PanelCount * PanelWidth * PaddedK);

    /// <summary>The scale of output channel <paramref name="row"/>: w[row, :] ≈ Scale(row) · q[row, :].</summary>
    public float Scale(int row)
    {
        if ((uint)row >= (uint)N) throw new ArgumentOutOfRangeException(nameof(row), row, $"row must be in [0, {N}).");
        return _scales[row];
    }

    /// <summary>q[row, column] of the quantized [n, k] weight, read back from the panels.</summary>
    public sbyte this[int row, int column]
    {
        get
        {
            if ((uint)row >= (uint)N || (uint)column >= (uint)K)
                throw new ArgumentOutOfRangeException(nameof(row), $"[{row},{column}] is outside [{N},{K}]");
            return _storage[_offset + (long)(row / PanelWidth) * PanelWidth * PaddedK + column / 4 * GroupBytes + row % PanelWidth * 4 + column % 4];
        }
    }

    private static unsafe int AlignmentOffset(sbyte[] pinned)
    {
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        int misalignment = (int)(address & (Align - 1));
        return misalignment == 0 ? 0 : Align - misalignment;
    }
}
