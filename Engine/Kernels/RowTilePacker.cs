using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// Packs x rows into the row-tile layout the GEMM micro-kernels read: one k step of a tile = its R row values, contiguous.
/// </summary>
internal static unsafe class RowTilePacker
{
    /// <summary>
    /// dst[p * rows + r] = src[r * ldx + p] for r &lt; rows (1..12), p &lt; kc.
    /// src: the tile's first row at its first k column, row stride ldx; dst: [kc, rows].
    /// </summary>
    public static void Pack(int rows, float* src, nint ldx, int kc, float* dst)
    {
        switch (rows)
        {
            case 1: Pack<Rows1>(src, ldx, kc, dst); break;
            case 2: Pack<Rows2>(src, ldx, kc, dst); break;
            case 3: Pack<Rows3>(src, ldx, kc, dst); break;
            case 4: Pack<Rows4>(src, ldx, kc, dst); break;
            case 5: Pack<Rows5>(src, ldx, kc, dst); break;
            case 6: Pack<Rows6>(src, ldx, kc, dst); break;
            case 7: Pack<Rows7>(src, ldx, kc, dst); break;
            case 8: Pack<Rows8>(src, ldx, kc, dst); break;
            case 9: Pack<Rows9>(src, ldx, kc, dst); break;
            case 10: Pack<Rows10>(src, ldx, kc, dst); break;
            case 11: Pack<Rows11>(src, ldx, kc, dst); break;
            case 12: Pack<Rows12>(src, ldx, kc, dst); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows), rows, "tile rows must be 1..12");
        }
    }

    /// <summary>
    /// Same as <see cref="Pack"/> for a compile-time row count. With AVX and R ≥ 4: 8 k steps at a time, rows in groups
    /// of 4 (the last group is rows R-4..R-1, overlapping the previous one when R % 4 != 0 — it rewrites the same
    /// values), each group a 4 × 8 transpose stored as eight 4-float pieces. Then the remaining k steps (and every k
    /// step without AVX or with R &lt; 4) one at a time: R loads and R contiguous stores.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pack<TRows>(float* src, nint ldx, int kc, float* dst)
        where TRows : struct, IGemmRows
    {
        int p = 0;
        if (Avx.IsSupported && TRows.Count >= 4)
        {
            for (; p + 8 <= kc; p += 8)
            {
                float* d = dst + p * TRows.Count;
                for (int r = 0; r < TRows.Count; r += 4)
                    Transpose4x8(src + Math.Min(r, TRows.Count - 4) * ldx + p, ldx, d + Math.Min(r, TRows.Count - 4), TRows.Count);
            }
        }
        float* end = src + kc;
        dst += p * TRows.Count;
        for (float* s = src + p; s < end; s++, dst += TRows.Count)
        {
            dst[0] = s[0];
            if (TRows.Count > 1) dst[1] = s[ldx];
            if (TRows.Count > 2) dst[2] = s[2 * ldx];
            if (TRows.Count > 3) dst[3] = s[3 * ldx];
            if (TRows.Count > 4) dst[4] = s[4 * ldx];
            if (TRows.Count > 5) dst[5] = s[5 * ldx];
            if (TRows.Count > 6) dst[6] = s[6 * ldx];
            if (TRows.Count > 7) dst[7] = s[7 * ldx];
            if (TRows.Count > 8) dst[8] = s[8 * ldx];
            if (TRows.Count > 9) dst[9] = s[9 * ldx];
            if (TRows.Count > 10) dst[10] = s[10 * ldx];
            if (TRows.Count > 11) dst[11] = s[11 * ldx];
        }
    }

    /// <summary>d[j * ldd + i] = s[i * lds + j] for i &lt; 4, j &lt; 8: four rows of 8 floats → eight k steps of 4 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x8(float* s, nint lds, float* d, nint ldd)
    {
        Vector256<float> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + lds);
        Vector256<float> r2 = Avx.LoadVector256(s + 2 * lds), r3 = Avx.LoadVector256(s + 3 * lds);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);   // [a0 b0 a1 b1 | a4 b4 a5 b5], [a2 b2 a3 b3 | a6 b6 a7 b7]
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);   // the same for rows c, d
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE); // [a0 b0 c0 d0 | a4 b4 c4 d4], [a1 .. | a5 ..]
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE); // [a2 .. | a6 ..], [a3 .. | a7 ..]
        u0.GetLower().Store(d);
        u1.GetLower().Store(d + ldd);
        u2.GetLower().Store(d + 2 * ldd);
        u3.GetLower().Store(d + 3 * ldd);
        u0.GetUpper().Store(d + 4 * ldd);
        u1.GetUpper().Store(d + 5 * ldd);
        u2.GetUpper().Store(d + 6 * ldd);
        u3.GetUpper().Store(d + 7 * ldd);
    }
}
