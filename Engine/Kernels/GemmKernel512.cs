using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// AVX-512F register tile: up to 12 rows × 32 columns (two zmm per row) = 24 zmm accumulators, plus two zmm for the
/// weight row and one broadcast — 27 of the 32 zmm registers, so nothing spills.
/// </summary>
internal static unsafe class GemmKernel512
{
    public const int MaxRows = 12;

    /// <summary>
    /// c[r, 0..15] (+)= sum_p a[p*R + r] * b[p*16 + 0..15] and c[r, 16..31] (+)= sum_p a[p*R + r] * b[bh + p*16 + 0..15]
    /// for r &lt; R, p &lt; kc; then on the last k block adds bias[0..31] and residual[r*ldr + 0..31] (each when not null).
    /// a: packed x tile [kc, R]; b: the two [kc, 16] sub-panels of a packed weight panel, the second bh floats after the
    /// first (<see cref="PackedWeight"/>); c: output rows with stride ldc.
    /// accumulate: add to what c holds (a later k block) instead of overwriting it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TRows>(float* a, float* b, nint bh, int kc, float* c, nint ldc, bool accumulate, float* bias, float* residual, nint ldr)
        where TRows : struct, IGemmRows
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default;
        Vector512<float> c100 = default, c101 = default;
        Vector512<float> c110 = default, c111 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + bh);
            { var s = Vector512.Create(a[0]); c00 = Avx512F.FusedMultiplyAdd(s, b0, c00); c01 = Avx512F.FusedMultiplyAdd(s, b1, c01); }
            if (TRows.Count > 1) { var s = Vector512.Create(a[1]); c10 = Avx512F.FusedMultiplyAdd(s, b0, c10); c11 = Avx512F.FusedMultiplyAdd(s, b1, c11); }
            if (TRows.Count > 2) { var s = Vector512.Create(a[2]); c20 = Avx512F.FusedMultiplyAdd(s, b0, c20); c21 = Avx512F.FusedMultiplyAdd(s, b1, c21); }
            if (TRows.Count > 3) { var s = Vector512.Create(a[3]); c30 = Avx512F.FusedMultiplyAdd(s, b0, c30); c31 = Avx512F.FusedMultiplyAdd(s, b1, c31); }
            if (TRows.Count > 4) { var s = Vector512.Create(a[4]); c40 = Avx512F.FusedMultiplyAdd(s, b0, c40); c41 = Avx512F.FusedMultiplyAdd(s, b1, c41); }
            if (TRows.Count > 5) { var s = Vector512.Create(a[5]); c50 = Avx512F.FusedMultiplyAdd(s, b0, c50); c51 = Avx512F.FusedMultiplyAdd(s, b1, c51); }
            if (TRows.Count > 6) { var s = Vector512.Create(a[6]); c60 = Avx512F.FusedMultiplyAdd(s, b0, c60); c61 = Avx512F.FusedMultiplyAdd(s, b1, c61); }
            if (TRows.Count > 7) { var s = Vector512.Create(a[7]); c70 = Avx512F.FusedMultiplyAdd(s, b0, c70); c71 = Avx512F.FusedMultiplyAdd(s, b1, c71); }
            if (TRows.Count > 8) { var s = Vector512.Create(a[8]); c80 = Avx512F.FusedMultiplyAdd(s, b0, c80); c81 = Avx512F.FusedMultiplyAdd(s, b1, c81); }
            if (TRows.Count > 9) { var s = Vector512.Create(a[9]); c90 = Avx512F.FusedMultiplyAdd(s, b0, c90); c91 = Avx512F.FusedMultiplyAdd(s, b1, c91); }
            if (TRows.Count > 10) { var s = Vector512.Create(a[10]); c100 = Avx512F.FusedMultiplyAdd(s, b0, c100); c101 = Avx512F.FusedMultiplyAdd(s, b1, c101); }
            if (TRows.Count > 11) { var s = Vector512.Create(a[11]); c110 = Avx512F.FusedMultiplyAdd(s, b0, c110); c111 = Avx512F.FusedMultiplyAdd(s, b1, c111); }
            a += TRows.Count;
            b += PackedWeight.SubPanelWidth;
        }
        StoreRow(c00, c01, c + 0 * ldc, accumulate, bias, residual == null ? null : residual + 0 * ldr);
        if (TRows.Count > 1) StoreRow(c10, c11, c + 1 * ldc, accumulate, bias, residual == null ? null : residual + 1 * ldr);
        if (TRows.Count > 2) StoreRow(c20, c21, c + 2 * ldc, accumulate, bias, residual == null ? null : residual + 2 * ldr);
        if (TRows.Count > 3) StoreRow(c30, c31, c + 3 * ldc, accumulate, bias, residual == null ? null : residual + 3 * ldr);
        if (TRows.Count > 4) StoreRow(c40, c41, c + 4 * ldc, accumulate, bias, residual == null ? null : residual + 4 * ldr);
        if (TRows.Count > 5) StoreRow(c50, c51, c + 5 * ldc, accumulate, bias, residual == null ? null : residual + 5 * ldr);
        if (TRows.Count > 6) StoreRow(c60, c61, c + 6 * ldc, accumulate, bias, residual == null ? null : residual + 6 * ldr);
        if (TRows.Count > 7) StoreRow(c70, c71, c + 7 * ldc, accumulate, bias, residual == null ? null : residual + 7 * ldr);
        if (TRows.Count > 8) StoreRow(c80, c81, c + 8 * ldc, accumulate, bias, residual == null ? null : residual + 8 * ldr);
        if (TRows.Count > 9) StoreRow(c90, c91, c + 9 * ldc, accumulate, bias, residual == null ? null : residual + 9 * ldr);
        if (TRows.Count > 10) StoreRow(c100, c101, c + 10 * ldc, accumulate, bias, residual == null ? null : residual + 10 * ldr);
        if (TRows.Count > 11) StoreRow(c110, c111, c + 11 * ldc, accumulate, bias, residual == null ? null : residual + 11 * ldr);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(Vector512<float> v0, Vector512<float> v1, float* c, bool accumulate, float* bias, float* residual)
    {
        if (accumulate) { v0 += Vector512.Load(c); v1 += Vector512.Load(c + 16); }
        if (bias != null) { v0 += Vector512.Load(bias); v1 += Vector512.Load(bias + 16); }
        if (residual != null) { v0 += Vector512.Load(residual); v1 += Vector512.Load(residual + 16); }
        v0.Store(c);
        v1.Store(c + 16);
    }

    /// <summary>Runs the tile kernel specialised for <paramref name="rows"/> (1..12).</summary>
    public static void Tile(int rows, float* a, float* b, nint bh, int kc, float* c, nint ldc, bool accumulate, float* bias, float* residual, nint ldr)
    {
        switch (rows)
        {
            case 1: Tile<Rows1>(a, b, bh, kc, c, ldc, accumulate, bias, residual, ldr); break;
            case 2: Tile<Rows2>(a, b, bh, kc, c, ldc, accumulate, bias, residual, ldr); break;
            case 3: Tile<Rows3>(a, b, bh, kc, c, ldc, accumulate, bias, residual, ldr); break;
            case 4: Tile<Rows4>(a, b, bh, kc, c, ldc, accumulate, bias, residual, ldr); break;
            case 5: Tile<Rows5>(a, b, bh, kc, c, ldc, accumulate, bias, residual, ldr); break;
            case 6: Tile<Rows6>(a, b, bh, kc, c, ldc, accumulate, bias, residual, ldr); break;
            case 7: Tile<Rows7>(a, b, bh, kc, c, ldc, accumulate, bias, residual, ldr); break;
            case 8: Tile<Rows8>(a, b, bh, kc, c, ldc, accumulate, bias, residual, ldr); break;
            case 9: Tile<Rows9>(a, b, bh, kc, c, ldc, accumulate, bias, residual, ldr); break;
            case 10: Tile<Rows10>(a, b, bh, kc, c, ldc, accumulate, bias, residual, ldr); break;
            case 11: Tile<Rows11>(a, b, bh, kc, c, ldc, accumulate, bias, residual, ldr); break;
            case 12: Tile<Rows12>(a, b, bh, kc, c, ldc, accumulate, bias, residual, ldr); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows), rows, "tile rows must be 1..12");
        }
    }
}
