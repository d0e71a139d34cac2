using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// The x64 256-bit int8 micro-kernel on biased activations: acc[r, c] = init[c] + Σ_p u[r, p] · w[c, p] for up to 4 rows
/// and one 16-column panel (two ymm of 8 int32 columns per row), where u = xq + 128 (u8) and init =
/// <see cref="QuantizedWeight.ZeroPointCorrection"/> = -128 · Σ_p w[c, p], so acc = Σ_p xq · w exactly (mod 2³², and the
/// true sum fits an int32). Per 4-byte group and row: one broadcast, then one <typeparamref name="TDot"/> step per ymm.
/// </summary>
/// <remarks>
/// <see cref="Avx2Dot"/> (VPMADDUBSW + VPMADDWD) needs reduced-range weights (|w| ≤ 64: pairs ≤ 2 · 255 · 64 = 32640,
/// never saturating); <see cref="AvxVnniDot"/> (VPDPBUSD, no int16 step) takes any weight. Registers: 8 accumulators,
/// 2 w, 1 broadcast, the ones vector and a temporary — no spills.
/// </remarks>
internal static unsafe class Int8KernelBiased256<TDot> where TDot : struct, IInt8Dot256
{
    public const int MaxRows = 4;

    /// <summary>x: rows × ldx biased bytes; panel: groups × 64 bytes; init: 16 int32; acc: [rows, 16] int32, overwritten.</summary>
    public static void Tile(int rows, byte* x, nint ldx, sbyte* panel, int groups, int* init, int* acc)
    {
        switch (rows)
        {
            case 1: Tile<Rows1>(x, ldx, panel, groups, init, acc); break;
            case 2: Tile<Rows2>(x, ldx, panel, groups, init, acc); break;
            case 3: Tile<Rows3>(x, ldx, panel, groups, init, acc); break;
            case 4: Tile<Rows4>(x, ldx, panel, groups, init, acc); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows), rows, "tile rows must be 1..4");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Broadcast(byte* x4) => Vector256.Create(Unsafe.ReadUnaligned<int>(x4)).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TRows>(byte* x, nint ldx, sbyte* panel, int groups, int* init, int* acc) where TRows : struct, IGemmRows
    {
        TDot dot = default;
        Vector256<int> init0 = Avx.LoadVector256(init), init1 = Avx.LoadVector256(init + 8);
        Vector256<int> a00 = init0, a01 = init1;
        Vector256<int> a10 = default, a11 = default;
        if (TRows.Count > 1) { a10 = init0; a11 = init1; }
        Vector256<int> a20 = default, a21 = default;
        if (TRows.Count > 2) { a20 = init0; a21 = init1; }
        Vector256<int> a30 = default, a31 = default;
        if (TRows.Count > 3) { a30 = init0; a31 = init1; }
        // Pointers stepped per group, not recomputed from g and ldx: 7 scalar instructions per group instead of 14.
        sbyte* wg = panel;
        byte* x0 = x, x1 = x + ldx, x2 = x + 2 * ldx, x3 = x + 3 * ldx;
        for (int g = 0; g < groups; g++)
        {
            Vector256<sbyte> w0 = Avx.LoadVector256(wg), w1 = Avx.LoadVector256(wg + 32);
            { var u = Broadcast(x0); a00 = dot.Accumulate(a00, u, w0); a01 = dot.Accumulate(a01, u, w1); }
            if (TRows.Count > 1) { var u = Broadcast(x1); a10 = dot.Accumulate(a10, u, w0); a11 = dot.Accumulate(a11, u, w1); }
            if (TRows.Count > 2) { var u = Broadcast(x2); a20 = dot.Accumulate(a20, u, w0); a21 = dot.Accumulate(a21, u, w1); }
            if (TRows.Count > 3) { var u = Broadcast(x3); a30 = dot.Accumulate(a30, u, w0); a31 = dot.Accumulate(a31, u, w1); }
            wg += QuantizedWeight.GroupBytes;
            x0 += 4;
            if (TRows.Count > 1) x1 += 4;
            if (TRows.Count > 2) x2 += 4;
            if (TRows.Count > 3) x3 += 4;
        }
        { Avx.Store(acc + 0, a00); Avx.Store(acc + 8, a01); }
        if (TRows.Count > 1) { Avx.Store(acc + 16, a10); Avx.Store(acc + 24, a11); }
        if (TRows.Count > 2) { Avx.Store(acc + 32, a20); Avx.Store(acc + 40, a21); }
        if (TRows.Count > 3) { Avx.Store(acc + 48, a30); Avx.Store(acc + 56, a31); }
    }
}
