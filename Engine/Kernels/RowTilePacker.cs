using System.Runtime.CompilerServices;

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

    /// <summary>Same as <see cref="Pack"/> for a compile-time row count: one k step = R loads and R contiguous stores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pack<TRows>(float* src, nint ldx, int kc, float* dst)
        where TRows : struct, IGemmRows
    {
        float* end = src + kc;
        for (float* s = src; s < end; s++, dst += TRows.Count)
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
}
