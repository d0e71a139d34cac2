using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// The x64 AVX-512BW int8 micro-kernel on biased activations and reduced-range weights: acc[r, c] = init[c] +
/// Σ_p u[r, p] · w[c, p] for up to 8 rows and one 16-column panel, one zmm (16 int32 columns) per row, where
/// u = xq + 128 (u8) and init = <see cref="QuantizedWeight.ZeroPointCorrection"/> = -128 · Σ_p w[c, p], so acc = Σ_p xq · w
/// exactly. One 64-byte panel group is one zmm: per group and row one broadcast, VPMADDUBSW, VPMADDWD with ones, VPADDD.
/// </summary>
/// <remarks>
/// No saturation: |w| ≤ 64 (reduced range) and u ≤ 255, so each VPMADDUBSW int16 pair is at most 2 · 255 · 64 = 32640
/// ≤ 32767 in magnitude; VPMADDWD of int16 values with 1 is exact in int32; VPADDD wraps mod 2³², which cancels because
/// the final Σ xq · w fits an int32 (k ≤ <see cref="QuantizedWeight.MaxK"/>). JIT only (NativeAOT x86-64-v3 has no AVX-512).
/// </remarks>
internal static unsafe class Int8KernelBiased512
{
    public const int MaxRows = 8;

    /// <summary>x: rows × ldx biased bytes; panel: groups × 64 bytes; init: 16 int32; acc: [rows, 16] int32, overwritten.</summary>
    public static void Tile(int rows, byte* x, nint ldx, sbyte* panel, int groups, int* init, int* acc)
    {
        switch (rows)
        {
            case 1: Tile<Rows1>(x, ldx, panel, groups, init, acc); break;
            case 2: Tile<Rows2>(x, ldx, panel, groups, init, acc); break;
            case 3: Tile<Rows3>(x, ldx, panel, groups, init, acc); break;
            case 4: Tile<Rows4>(x, ldx, panel, groups, init, acc); break;
            case 5: Tile<Rows5>(x, ldx, panel, groups, init, acc); break;
            case 6: Tile<Rows6>(x, ldx, panel, groups, init, acc); break;
            case 7: Tile<Rows7>(x, ldx, panel, groups, init, acc); break;
            case 8: Tile<Rows8>(x, ldx, panel, groups, init, acc); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows), rows, "tile rows must be 1..8");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Step(Vector512<int> acc, byte* x4, Vector512<sbyte> w) =>
        Avx512BW.Add(acc, Avx512BW.MultiplyAddAdjacent(
            Avx512BW.MultiplyAddAdjacent(Vector512.Create(Unsafe.ReadUnaligned<int>(x4)).AsByte(), w), Vector512<short>.One));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TRows>(byte* x, nint ldx, sbyte* panel, int groups, int* init, int* acc) where TRows : struct, IGemmRows
    {
        Vector512<int> start = Vector512.Load(init);
        Vector512<int> a0 = start;
        Vector512<int> a1 = TRows.Count > 1 ? start : default;
        Vector512<int> a2 = TRows.Count > 2 ? start : default;
        Vector512<int> a3 = TRows.Count > 3 ? start : default;
        Vector512<int> a4 = TRows.Count > 4 ? start : default;
        Vector512<int> a5 = TRows.Count > 5 ? start : default;
        Vector512<int> a6 = TRows.Count > 6 ? start : default;
        Vector512<int> a7 = TRows.Count > 7 ? start : default;
        for (int g = 0; g < groups; g++)
        {
            Vector512<sbyte> w = Vector512.Load(panel + (nint)g * QuantizedWeight.GroupBytes);
            nint o = 4 * (nint)g;
            a0 = Step(a0, x + 0 * ldx + o, w);
            if (TRows.Count > 1) a1 = Step(a1, x + 1 * ldx + o, w);
            if (TRows.Count > 2) a2 = Step(a2, x + 2 * ldx + o, w);
            if (TRows.Count > 3) a3 = Step(a3, x + 3 * ldx + o, w);
            if (TRows.Count > 4) a4 = Step(a4, x + 4 * ldx + o, w);
            if (TRows.Count > 5) a5 = Step(a5, x + 5 * ldx + o, w);
            if (TRows.Count > 6) a6 = Step(a6, x + 6 * ldx + o, w);
            if (TRows.Count > 7) a7 = Step(a7, x + 7 * ldx + o, w);
        }
        Vector512.Store(a0, acc + 0);
        if (TRows.Count > 1) Vector512.Store(a1, acc + 16);
        if (TRows.Count > 2) Vector512.Store(a2, acc + 32);
        if (TRows.Count > 3) Vector512.Store(a3, acc + 48);
        if (TRows.Count > 4) Vector512.Store(a4, acc + 64);
        if (TRows.Count > 5) Vector512.Store(a5, acc + 80);
        if (TRows.Count > 6) Vector512.Store(a6, acc + 96);
        if (TRows.Count > 7) Vector512.Store(a7, acc + 112);
    }
}
