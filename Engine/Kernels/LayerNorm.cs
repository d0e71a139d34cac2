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
        {
            var work = RowsWork.ForThisThread;
            work.Setup(px, py, pg, pb, rows, n, eps, pieces);
            try { KernelParallel.Run(work, threads); }
            finally { work.Clear(); }
        }
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
        bool wide = UseVector512 && Vector512.IsHardwareAccelerated;
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

    /// <summary>The pieces (blocks of <see cref="RowsPerPiece"/> rows) of one parallel call; one reusable instance per calling thread.</summary>
    private sealed unsafe class RowsWork : ParallelWork
    {
        [ThreadStatic] private static RowsWork? t_work;
        public static RowsWork ForThisThread => t_work ??= new RowsWork();

        private float* _x, _y, _gamma, _beta;
        private int _rows, _n, _pieces, _next, _done;
        private float _eps;

        public void Setup(float* x, float* y, float* gamma, float* beta, int rows, int n, float eps, int pieces)
        {
            _x = x; _y = y; _gamma = gamma; _beta = beta; _rows = rows; _n = n; _eps = eps; _pieces = pieces; _next = 0; _done = 0;
        }

        public void Clear() { _x = _y = _gamma = _beta = null; }

        protected override bool IsComplete => Volatile.Read(ref _done) >= _pieces;

        protected override void RunPieces()
        {
            int piece;
            while ((piece = Interlocked.Increment(ref _next) - 1) < _pieces)
            {
                try
                {
                    int end = Math.Min(_rows, (piece + 1) * RowsPerPiece);
                    for (int r = piece * RowsPerPiece; r < end; r++)
                        Row(ref _x[(nint)r * _n], _n, ref *_gamma, ref *_beta, _eps, ref _y[(nint)r * _n]);
                }
                catch (Exception e) { Fail(e); }
                finally { Interlocked.Increment(ref _done); }
            }
        }
    }

    /// <summary>y = LayerNorm(x + residual): the post-LN residual block of BERT. y may alias x or residual.</summary>
    public static void ApplyWithResidual(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, int rows, int n,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps, Span<float> y)
    {
        Check(x.Length, y.Length, rows, n, gamma.Length, beta.Length);
        if (residual.Length < rows * n) throw new ArgumentException($"residual has {residual.Length} floats, expected {rows * n}", nameof(residual));
        TensorPrimitives.Add(x[..(rows * n)], residual[..(rows * n)], y);
        Apply(y, rows, n, gamma, beta, eps, y);
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
