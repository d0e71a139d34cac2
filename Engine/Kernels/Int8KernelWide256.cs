using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// The x64 AVX2 micro-kernel for wide activations (int16 x × int8 w, <see cref="QuantizedWeight.WideActivations"/>):
/// acc[r, c] = Σ_p x[r, p] · w[c, p] in int32 for up to 4 rows and one 16-column <see cref="QuantizedWeight"/> panel.
/// </summary>
/// <remarks>
/// <code>
/// a panel group (64 bytes = 16 columns × 4 k) is read as two halves of 8 columns (32 bytes);
/// each 16-byte quarter (4 columns × 4 k) is sign-extended to 16 int16 lanes (VPMOVSXBW): lane 4c + t = w[c, 4g + t]
/// x4 = the row's 4 int16 values x[4g .. 4g+3] broadcast to every 64-bit lane
/// VPMADDWD(x4, w) → 8 int32 lanes: lane 2c + h = x[4g+2h]·w[c, 4g+2h] + x[4g+2h+1]·w[c, 4g+2h+1]
/// after the k loop: VPHADDD of the two quarters' accumulators, then VPERMQ (0, 2, 1, 3): 8 columns in order
/// </code>
/// Exact: |x| ≤ <see cref="ActivationQuantization.WideLevel"/>(k) and |w| ≤ 127, so every int32 partial sum is bounded by
/// k · level · 127 &lt; 2³¹ (VPMADDWD never sees -32768 · -32768: quantized x stops at ±32767). Registers: 8
/// accumulators, 2 weights, 1 broadcast per half — no spills.
/// </remarks>
internal static unsafe class Int8KernelWide256
{
    public const int MaxRows = 4;

    /// <summary>x: rows × ldx int16 (row r at x + r·ldx); panel: groups × 64 bytes; acc: [rows, 16] int32, overwritten.</summary>
    public static void Tile(int rows, short* x, nint ldx, sbyte* panel, int groups, int* acc)
    {
        switch (rows)
        {
            case 1: Tile<Rows1>(x, ldx, panel, groups, acc); break;
            case 2: Tile<Rows2>(x, ldx, panel, groups, acc); break;
            case 3: Tile<Rows3>(x, ldx, panel, groups, acc); break;
            case 4: Tile<Rows4>(x, ldx, panel, groups, acc); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows), rows, "tile rows must be 1..4");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Step(Vector256<int> acc, Vector256<short> x4, Vector256<short> w) =>
        Avx2.Add(acc, Avx2.MultiplyAddAdjacent(x4, w));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Broadcast(short* x4) => Vector256.Create(Unsafe.ReadUnaligned<long>(x4)).AsInt16();

    /// <summary>Columns 0..3 pairs (a) and 4..7 pairs (b) → the 8 column sums in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Fold(Vector256<int> a, Vector256<int> b) =>
        Avx2.Permute4x64(Avx2.HorizontalAdd(a, b).AsInt64(), 0b11_01_10_00).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TRows>(short* x, nint ldx, sbyte* panel, int groups, int* acc) where TRows : struct, IGemmRows
    {
        for (int half = 0; half < 2; half++)
        {
            Vector256<int> a0 = default, b0 = default, a1 = default, b1 = default;
            Vector256<int> a2 = default, b2 = default, a3 = default, b3 = default;
            // Pointers stepped per group, not recomputed from g and ldx: 7 scalar instructions per group instead of 14.
            sbyte* wg = panel + 32 * half;
            short* x0 = x, x1 = x + ldx, x2 = x + 2 * ldx, x3 = x + 3 * ldx;
            for (int g = 0; g < groups; g++)
            {
                Vector256<short> wa = Avx2.ConvertToVector256Int16(wg), wb = Avx2.ConvertToVector256Int16(wg + 16);
                { var x4 = Broadcast(x0); a0 = Step(a0, x4, wa); b0 = Step(b0, x4, wb); }
                if (TRows.Count > 1) { var x4 = Broadcast(x1); a1 = Step(a1, x4, wa); b1 = Step(b1, x4, wb); }
                if (TRows.Count > 2) { var x4 = Broadcast(x2); a2 = Step(a2, x4, wa); b2 = Step(b2, x4, wb); }
                if (TRows.Count > 3) { var x4 = Broadcast(x3); a3 = Step(a3, x4, wa); b3 = Step(b3, x4, wb); }
                wg += QuantizedWeight.GroupBytes;
                x0 += 4;
                if (TRows.Count > 1) x1 += 4;
                if (TRows.Count > 2) x2 += 4;
                if (TRows.Count > 3) x3 += 4;
            }
            int* out0 = acc + 8 * half;
            Avx.Store(out0, Fold(a0, b0));
            if (TRows.Count > 1) Avx.Store(out0 + 16, Fold(a1, b1));
            if (TRows.Count > 2) Avx.Store(out0 + 32, Fold(a2, b2));
            if (TRows.Count > 3) Avx.Store(out0 + 48, Fold(a3, b3));
        }
    }
}
