using System.Numerics;
using System.Runtime.CompilerServices;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// Portable register tile on Vector&lt;float&gt; (any CPU, ARM64 included): up to 4 rows × 2 vectors of columns
/// (16 columns with 256-bit vectors, 8 with 128-bit NEON), repeated across the 32-wide panel.
/// Uses Vector.MultiplyAddEstimate, which is a fused multiply-add where the hardware has one.
/// </summary>
internal static unsafe class GemmKernelPortable
{
    public const int MaxRows = 4;

    /// <summary>Columns one call of <see cref="Chunk{TRows}"/> covers.</summary>
    private static int ChunkWidth => 2 * Vector<float>.Count;

    /// <summary>
    /// c[r, 0..V-1] (+)= sum_p a[p*R + r] * b0[p*16 + 0..V-1] and c[r, V..2V-1] (+)= sum_p a[p*R + r] * b1[p*16 + 0..V-1]
    /// for r &lt; R, p &lt; kc, V = Vector&lt;float&gt;.Count; then adds bias and residual when not null. b0, b1: where the
    /// chunk's two column vectors start in their [kc, 16] sub-panels (<see cref="PackedWeight"/>).
    /// Same conventions as <see cref="GemmKernel512.Tile{TRows}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Chunk<TRows>(float* a, float* b0Column, float* b1Column, int kc, float* c, nint ldc, bool accumulate, float* bias, float* residual, nint ldr)
        where TRows : struct, IGemmRows
    {
        int w = Vector<float>.Count;
        Vector<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector<float> b0 = Vector.Load(b0Column), b1 = Vector.Load(b1Column);
            { var s = new Vector<float>(a[0]); c00 = Vector.MultiplyAddEstimate(s, b0, c00); c01 = Vector.MultiplyAddEstimate(s, b1, c01); }
            if (TRows.Count > 1) { var s = new Vector<float>(a[1]); c10 = Vector.MultiplyAddEstimate(s, b0, c10); c11 = Vector.MultiplyAddEstimate(s, b1, c11); }
            if (TRows.Count > 2) { var s = new Vector<float>(a[2]); c20 = Vector.MultiplyAddEstimate(s, b0, c20); c21 = Vector.MultiplyAddEstimate(s, b1, c21); }
            if (TRows.Count > 3) { var s = new Vector<float>(a[3]); c30 = Vector.MultiplyAddEstimate(s, b0, c30); c31 = Vector.MultiplyAddEstimate(s, b1, c31); }
            a += TRows.Count;
            b0Column += PackedWeight.SubPanelWidth;
            b1Column += PackedWeight.SubPanelWidth;
        }
        StoreRow(c00, c01, c, accumulate, bias, residual);
        if (TRows.Count > 1) StoreRow(c10, c11, c + ldc, accumulate, bias, residual == null ? null : residual + ldr);
        if (TRows.Count > 2) StoreRow(c20, c21, c + 2 * ldc, accumulate, bias, residual == null ? null : residual + 2 * ldr);
        if (TRows.Count > 3) StoreRow(c30, c31, c + 3 * ldc, accumulate, bias, residual == null ? null : residual + 3 * ldr);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(Vector<float> v0, Vector<float> v1, float* c, bool accumulate, float* bias, float* residual)
    {
        int w = Vector<float>.Count;
        if (accumulate) { v0 += Vector.Load(c); v1 += Vector.Load(c + w); }
        if (bias != null) { v0 += Vector.Load(bias); v1 += Vector.Load(bias + w); }
        if (residual != null) { v0 += Vector.Load(residual); v1 += Vector.Load(residual + w); }
        v0.Store(c);
        v1.Store(c + w);
    }

    /// <summary>
    /// Runs a tile of <paramref name="rows"/> (1..4) over the whole 32-wide panel (sub-panels at <paramref name="b"/> and
    /// <paramref name="bh"/> floats after it), chunk by chunk.
    /// </summary>
    public static void Tile(int rows, float* a, float* b, nint bh, int kc, float* c, nint ldc, bool accumulate, float* bias, float* residual, nint ldr)
    {
        // Vector<float>.Count is 4, 8 or 16 on every .NET target, so the chunks tile the panel exactly and no vector
        // straddles the two sub-panels.
        int v = Vector<float>.Count;
        for (int col = 0; col < PackedWeight.PanelWidth; col += ChunkWidth)
        {
            float* b0 = SubPanelColumn(b, bh, col), b1 = SubPanelColumn(b, bh, col + v), cc = c + col;
            float* biasC = bias == null ? null : bias + col;
            float* resC = residual == null ? null : residual + col;
            switch (rows)
            {
                case 1: Chunk<Rows1>(a, b0, b1, kc, cc, ldc, accumulate, biasC, resC, ldr); break;
                case 2: Chunk<Rows2>(a, b0, b1, kc, cc, ldc, accumulate, biasC, resC, ldr); break;
                case 3: Chunk<Rows3>(a, b0, b1, kc, cc, ldc, accumulate, biasC, resC, ldr); break;
                case 4: Chunk<Rows4>(a, b0, b1, kc, cc, ldc, accumulate, biasC, resC, ldr); break;
                default: throw new ArgumentOutOfRangeException(nameof(rows), rows, "tile rows must be 1..4");
            }
        }
    }

    /// <summary>Column j (0..31) of a panel at k step 0: sub-panel j / 16, offset j % 16.</summary>
    private static float* SubPanelColumn(float* b, nint bh, int j) =>
        b + j / PackedWeight.SubPanelWidth * bh + j % PackedWeight.SubPanelWidth;
}
