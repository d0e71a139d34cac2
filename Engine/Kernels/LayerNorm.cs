using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// Layer normalisation over the last dimension, as torch.nn.LayerNorm:
/// y = (x - mean) / sqrt(var + eps) * gamma + beta, with the biased variance (divide by n).
/// x, y: [rows, n] row-major; gamma, beta: [n]. y may alias x.
/// </summary>
public static class LayerNorm
{
    /// <summary>
    /// Vectorised, one row at a time: mean, then the centred sum of squares, then y = (x − mean)·inv·gamma + beta
    /// (three sweeps over a row that stays in L1). Each row's result depends only on that row.
    /// </summary>
    public static void Apply(ReadOnlySpan<float> x, int rows, int n, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps, Span<float> y)
    {
        Check(x.Length, y.Length, rows, n, gamma.Length, beta.Length);
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float ry = ref MemoryMarshal.GetReference(y);
        ref float rg = ref MemoryMarshal.GetReference(gamma);
        ref float rb = ref MemoryMarshal.GetReference(beta);
        for (int r = 0; r < rows; r++)
            Row(ref Unsafe.Add(ref rx, (nint)r * n), n, ref rg, ref rb, eps, ref Unsafe.Add(ref ry, (nint)r * n));
    }

    /// <summary>
    /// As <see cref="Apply(ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, float, Span{float})"/>,
    /// rows shared among up to <paramref name="maxThreads"/> kernel threads (≤ 0: all cores) in blocks of
    /// <see cref="RowsPerPiece"/>; the result is the same for any thread count.
    /// </summary>
    public static unsafe void Apply(ReadOnlySpan<float> x, int rows, int n, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps,
        Span<float> y, int maxThreads)
    {
        Check(x.Length, y.Length, rows, n, gamma.Length, beta.Length);
        int pieces = (rows + RowsPerPiece - 1) / RowsPerPiece;
        int threads = Math.Min(KernelParallel.ResolveThreads(maxThreads), pieces);
        if (threads <= 1) { Apply(x, rows, n, gamma, beta, eps, y); return; }
        fixed (float* px = x, py = y, pg = gamma, pb = beta)
            KernelParallel.For(pieces, new RowBlocks(px, py, pg, pb, rows, n, eps), threads);
    }

    /// <summary>Rows one parallel piece normalises.</summary>
    public const int RowsPerPiece = 16;

    /// <summary>Tests set this to false to exercise the Vector&lt;T&gt; path on an AVX-512 machine.</summary>
    internal static bool UseVector512 = true;

    /// <summary>One row x[0..n) → y[0..n) (y may be x).</summary>
    private static void Row(ref float x, int n, ref float gamma, ref float beta, float eps, ref float y)
    {
        int i = 0;
        float sum = 0;
        bool wide = UseVector512 && KernelPathOverride.AllowsVector512 && Vector512.IsHardwareAccelerated;
        int w = Vector<float>.Count;
        if (wide)
        {
            Vector512<float> s0 = default, s1 = default;
            for (; i + 32 <= n; i += 32) { s0 += Vector512.LoadUnsafe(ref x, (nuint)i); s1 += Vector512.LoadUnsafe(ref x, (nuint)i + 16); }
            for (; i + 16 <= n; i += 16) s0 += Vector512.LoadUnsafe(ref x, (nuint)i);
            sum = Vector512.Sum(s0 + s1);
        }
        else if (Vector.IsHardwareAccelerated)
        {
            Vector<float> s0 = default, s1 = default;
            for (; i + 2 * w <= n; i += 2 * w) { s0 += Vector.LoadUnsafe(ref x, (nuint)i); s1 += Vector.LoadUnsafe(ref x, (nuint)(i + w)); }
            for (; i + w <= n; i += w) s0 += Vector.LoadUnsafe(ref x, (nuint)i);
            sum = Vector.Sum(s0 + s1);
        }
        for (; i < n; i++) sum += Unsafe.Add(ref x, i);
        float mean = sum / n;

        i = 0;
        float squares = 0;
        if (wide)
        {
            var m = Vector512.Create(mean);
            Vector512<float> s0 = default, s1 = default;
            for (; i + 32 <= n; i += 32)
            {
                var d0 = Vector512.LoadUnsafe(ref x, (nuint)i) - m; var d1 = Vector512.LoadUnsafe(ref x, (nuint)i + 16) - m;
                s0 = Vector512.FusedMultiplyAdd(d0, d0, s0); s1 = Vector512.FusedMultiplyAdd(d1, d1, s1);
            }
            for (; i + 16 <= n; i += 16) { var d0 = Vector512.LoadUnsafe(ref x, (nuint)i) - m; s0 = Vector512.FusedMultiplyAdd(d0, d0, s0); }
            squares = Vector512.Sum(s0 + s1);
        }
        else if (Vector.IsHardwareAccelerated)
        {
            var m = new Vector<float>(mean);
            Vector<float> s0 = default, s1 = default;
            for (; i + 2 * w <= n; i += 2 * w)
            {
                var d0 = Vector.LoadUnsafe(ref x, (nuint)i) - m; var d1 = Vector.LoadUnsafe(ref x, (nuint)(i + w)) - m;
                s0 = Vector.FusedMultiplyAdd(d0, d0, s0); s1 = Vector.FusedMultiplyAdd(d1, d1, s1);
            }
            for (; i + w <= n; i += w) { var d0 = Vector.LoadUnsafe(ref x, (nuint)i) - m; s0 = Vector.FusedMultiplyAdd(d0, d0, s0); }
            squares = Vector.Sum(s0 + s1);
        }
        for (; i < n; i++) { float d = Unsafe.Add(ref x, i) - mean; squares = MathF.FusedMultiplyAdd(d, d, squares); }
        float inv = 1f / MathF.Sqrt(squares / n + eps);

        i = 0;
        if (wide)
        {
            var m = Vector512.Create(mean); var s = Vector512.Create(inv);
            for (; i + 16 <= n; i += 16)
                Vector512.FusedMultiplyAdd((Vector512.LoadUnsafe(ref x, (nuint)i) - m) * s, Vector512.LoadUnsafe(ref gamma, (nuint)i),
                    Vector512.LoadUnsafe(ref beta, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
        }
        else if (Vector.IsHardwareAccelerated)
        {
            var m = new Vector<float>(mean); var s = new Vector<float>(inv);
            for (; i + w <= n; i += w)
                Vector.FusedMultiplyAdd((Vector.LoadUnsafe(ref x, (nuint)i) - m) * s, Vector.LoadUnsafe(ref gamma, (nuint)i),
                    Vector.LoadUnsafe(ref beta, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref y, i) = MathF.FusedMultiplyAdd((Unsafe.Add(ref x, i) - mean) * inv, Unsafe.Add(ref gamma, i), Unsafe.Add(ref beta, i));
    }

    /// <summary>Piece p normalises rows [p·RowsPerPiece, (p + 1)·RowsPerPiece) (pointers fixed by the caller for the call).</summary>
    private readonly unsafe struct RowBlocks(float* x, float* y, float* gamma, float* beta, int rows, int n, float eps) : IParallelPieces
    {
        public void Run(int piece, int slot)
        {
            int end = Math.Min(rows, (piece + 1) * RowsPerPiece);
            for (int r = piece * RowsPerPiece; r < end; r++)
                Row(ref x[(nint)r * n], n, ref *gamma, ref *beta, eps, ref y[(nint)r * n]);
        }
    }

    /// <summary>Reference: plain loops with double accumulation.</summary>
    public static void Reference(ReadOnlySpan<float> x, int rows, int n, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps, Span<float> y)
    {
        Check(x.Length, y.Length, rows, n, gamma.Length, beta.Length);
        for (int r = 0; r < rows; r++)
        {
            double mean = 0;
            for (int i = 0; i < n; i++) mean += x[r * n + i];
            mean /= n;
            double variance = 0;
            for (int i = 0; i < n; i++) { double d = x[r * n + i] - mean; variance += d * d; }
            variance /= n;
            double inv = 1.0 / Math.Sqrt(variance + eps);
            for (int i = 0; i < n; i++) y[r * n + i] = (float)((x[r * n + i] - mean) * inv * gamma[i] + beta[i]);
        }
    }

    private static void Check(int xLen, int yLen, int rows, int n, int gammaLen, int betaLen)
    {
        if (rows < 0 || n <= 0) throw new ArgumentOutOfRangeException(nameof(n), $"LayerNorm over [{rows},{n}]");
        if (xLen < rows * n) throw new ArgumentException($"x has {xLen} floats, expected {rows * n}", "x");
        if (yLen < rows * n) throw new ArgumentException($"y has {yLen} floats, expected {rows * n}", "y");
        if (gammaLen != n || betaLen != n) throw new ArgumentException($"gamma/beta have {gammaLen}/{betaLen} floats, expected {n}", "gamma");
    }
}
