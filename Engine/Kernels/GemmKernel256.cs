using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// AVX2 + FMA register tile: up to 6 rows × 16 columns (two ymm per row) = 12 ymm accumulators, two for the weight
/// row and one broadcast — 15 of the 16 ymm registers. A 32-wide weight panel is done as its two 16-column sub-panels,
/// each a contiguous [kc, 16] block (<see cref="PackedWeight"/>), so the kernel streams consecutive cache lines.
/// </summary>
internal static unsafe class GemmKernel256
{
    public const int MaxRows = 6;

    /// <summary>
    /// c[r, 0..15] (+)= sum_p a[p*R + r] * b[p*16 + 0..15] for r &lt; R, p &lt; kc; then adds bias[0..15] and
    /// residual[r*ldr + 0..15] when not null. a: packed x tile [kc, R]; b: a 16-column sub-panel [kc, 16];
    /// c: output rows with stride ldc. accumulate: add to what c holds instead of overwriting it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void HalfTile<TRows>(float* a, float* b, int kc, float* c, nint ldc, bool accumulate, float* bias, float* residual, nint ldr)
        where TRows : struct, IGemmRows
    {
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        Vector256<float> c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 8);
            { var s = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(s, b0, c00); c01 = Fma.MultiplyAdd(s, b1, c01); }
            if (TRows.Count > 1) { var s = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(s, b0, c10); c11 = Fma.MultiplyAdd(s, b1, c11); }
            if (TRows.Count > 2) { var s = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(s, b0, c20); c21 = Fma.MultiplyAdd(s, b1, c21); }
            if (TRows.Count > 3) { var s = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(s, b0, c30); c31 = Fma.MultiplyAdd(s, b1, c31); }
            if (TRows.Count > 4) { var s = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(s, b0, c40); c41 = Fma.MultiplyAdd(s, b1, c41); }
            if (TRows.Count > 5) { var s = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(s, b0, c50); c51 = Fma.MultiplyAdd(s, b1, c51); }
            a += TRows.Count;
            b += PackedWeight.SubPanelWidth;
        }
        StoreRow(c00, c01, c + 0 * ldc, accumulate, bias, residual == null ? null : residual + 0 * ldr);
        if (TRows.Count > 1) StoreRow(c10, c11, c + 1 * ldc, accumulate, bias, residual == null ? null : residual + 1 * ldr);
        if (TRows.Count > 2) StoreRow(c20, c21, c + 2 * ldc, accumulate, bias, residual == null ? null : residual + 2 * ldr);
        if (TRows.Count > 3) StoreRow(c30, c31, c + 3 * ldc, accumulate, bias, residual == null ? null : residual + 3 * ldr);
        if (TRows.Count > 4) StoreRow(c40, c41, c + 4 * ldc, accumulate, bias, residual == null ? null : residual + 4 * ldr);
        if (TRows.Count > 5) StoreRow(c50, c51, c + 5 * ldc, accumulate, bias, residual == null ? null : residual + 5 * ldr);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(Vector256<float> v0, Vector256<float> v1, float* c, bool accumulate, float* bias, float* residual)
    {
        if (accumulate) { v0 += Vector256.Load(c); v1 += Vector256.Load(c + 8); }
        if (bias != null) { v0 += Vector256.Load(bias); v1 += Vector256.Load(bias + 8); }
        if (residual != null) { v0 += Vector256.Load(residual); v1 += Vector256.Load(residual + 8); }
        v0.Store(c);
        v1.Store(c + 8);
    }

    /// <summary>
    /// Runs both 16-column sub-panels of a 32-wide panel (the second <paramref name="bh"/> floats after
    /// <paramref name="b"/>) for a tile of <paramref name="rows"/> (1..6).
    /// </summary>
    public static void Tile(int rows, float* a, float* b, nint bh, int kc, float* c, nint ldc, bool accumulate, float* bias, float* residual, nint ldr)
    {
        for (int half = 0; half < 2; half++)
        {
            float* b16 = b + half * bh, ch = c + half * PackedWeight.SubPanelWidth;
            float* biasH = bias == null ? null : bias + half * PackedWeight.SubPanelWidth;
            float* resH = residual == null ? null : residual + half * PackedWeight.SubPanelWidth;
            switch (rows)
            {
                case 1: HalfTile<Rows1>(a, b16, kc, ch, ldc, accumulate, biasH, resH, ldr); break;
                case 2: HalfTile<Rows2>(a, b16, kc, ch, ldc, accumulate, biasH, resH, ldr); break;
                case 3: HalfTile<Rows3>(a, b16, kc, ch, ldc, accumulate, biasH, resH, ldr); break;
                case 4: HalfTile<Rows4>(a, b16, kc, ch, ldc, accumulate, biasH, resH, ldr); break;
                case 5: HalfTile<Rows5>(a, b16, kc, ch, ldc, accumulate, biasH, resH, ldr); break;
                case 6: HalfTile<Rows6>(a, b16, kc, ch, ldc, accumulate, biasH, resH, ldr); break;
                default: throw new ArgumentOutOfRangeException(nameof(rows), rows, "tile rows must be 1..6");
            }
        }
    }
}
