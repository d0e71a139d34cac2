using BertSharp.Engine.Kernels;

namespace BertSharp.Tests.Kernels;

/// <summary>
/// Int8Gemm on every path (unsupported ones report themselves ignored with the reason) against Int8GemmReference, bit
/// for bit; its accuracy against the fp32 GemmReference; threading, batch invariance, allocation and argument checks.
/// </summary>
public class Int8GemmTests
{
    private static readonly Int8GemmPath[] AllPaths = Int8KernelTestPaths.All;

    private static void RequirePath(Int8GemmPath path) => Int8KernelTestPaths.Require(path);

    private static float[] Random(Random rng, int length, float scale = 1f) => Int8KernelTestPaths.Random(rng, length, scale);

    private static readonly int[] Ms = [1, 7, 33, 128], Ks = [1, 3, 4, 7, 384, 3072], Ns = [1, 17, 33, 384];

    private sealed record Case(int M, int K, int N, float[] X, float[] W, float[] Bias, float[] Residual, float[] Want, float[] WantReduced);

    // Every (m, k, n); bias / residual cycle through none, bias, residual, both. The reference (full-range and
    // reduced-range weights) is computed once per run.
    private static readonly Lazy<List<Case>> Cases = new(() =>
    {
        var list = new List<Case>();
        var rng = new Random(1234);
        int variant = 0;
        foreach (int m in Ms)
            foreach (int k in Ks)
                foreach (int n in Ns)
                {
                    float[] x = Random(rng, m * k), w = Random(rng, n * k, 0.1f);
                    float[] bias = (variant & 1) != 0 ? Random(rng, n) : [];
                    float[] residual = (variant & 2) != 0 ? Random(rng, m * n) : [];
                    variant++;
                    var want = new float[m * n];
                    Int8GemmReference.Linear(x, m, k, w, n, bias, want, residual);
                    var wantReduced = new float[m * n];
                    Int8GemmReference.Linear(x, m, k, w, n, bias, wantReduced, residual, reducedWeightRange: true);
                    list.Add(new Case(m, k, n, x, w, bias, residual, want, wantReduced));
                }
        return list;
    });

    [Test]
    public void MatchesReferenceBitExactOnEveryShape([ValueSource(nameof(AllPaths))] Int8GemmPath path, [Values(1, 2)] int threads,
        [Values(false, true)] bool reducedRange)
    {
        RequirePath(path);
        foreach (Case c in Cases.Value)
        {
            var packed = QuantizedWeight.Quantize(c.W, c.N, c.K, reducedRange);
            var got = new float[c.M * c.N + 5];
            Array.Fill(got, float.NaN); // stale output must be overwritten, never accumulated into
            Int8Gemm.Linear(c.X, c.M, packed, c.Bias, got.AsSpan(0, c.M * c.N), c.Residual, maxThreads: threads, path: path);
            string what = $"{path} m={c.M} k={c.K} n={c.N} bias={c.Bias.Length > 0} residual={c.Residual.Length > 0} threads={threads} reduced={reducedRange}";
            Assert.That(got.AsSpan(0, c.M * c.N).ToArray(), Is.EqualTo(reducedRange ? c.WantReduced : c.Want).AsCollection, what);
            Assert.That(got.AsSpan(c.M * c.N).ToArray(), Is.All.NaN, "wrote past y[m*n]: " + what);
        }
    }

    // Elementwise, so applying it to the reference's whole output gives what the fused call must give.
    private readonly struct TanhEpilogue(int[] visits, int n) : IGemmEpilogue
    {
        public void Apply(Span<float> segment, int row, int column)
        {
            for (int j = 0; j < segment.Length; j++)
            {
                segment[j] = MathF.Tanh(segment[j]);
                Interlocked.Increment(ref visits[row * n + column + j]);
            }
        }
    }

    [Test]
    public void EpilogueSeesEveryFinalElementOnceAndMatchesReference(
        [ValueSource(nameof(AllPaths))] Int8GemmPath path, [Values(1, 2)] int threads, [Values(17, 33, 384)] int n, [Values(false, true)] bool reducedRange)
    {
        RequirePath(path);
        var rng = new Random(n);
        const int m = 37, k = 391;
        float[] x = Random(rng, m * k), w = Random(rng, n * k), bias = Random(rng, n), residual = Random(rng, m * n);
        var want = new float[m * n];
        Int8GemmReference.Linear(x, m, k, w, n, bias, want, residual, reducedRange);
        for (int i = 0; i < want.Length; i++) want[i] = MathF.Tanh(want[i]);
        var visits = new int[m * n];
        var got = new float[m * n];
        Int8Gemm.Linear(x, m, QuantizedWeight.Quantize(w, n, k, reducedRange), bias, got, new TanhEpilogue(visits, n), residual, threads, path);
        Assert.That(visits, Is.All.EqualTo(1));
        Assert.That(got, Is.EqualTo(want).AsCollection);
    }

    [Test]
    public void ExtremeOperandsDoNotSaturate([ValueSource(nameof(AllPaths))] Int8GemmPath path)
    {
        // Every x and w quantizes to ±127 with matching signs, so every product is +127·127 = 16129 and every adjacent
        // pair VPMADDUBSW forms is 32258, the largest possible (< 32767); a second row has opposite signs (-32258).
        // A saturating int16 step would give 32767 · (k/2) instead; the exact sum is k · 16129.
        RequirePath(path);
        const int k = 3072, n = 33;
        var w = new float[n * k];
        var x = new float[2 * k];
        for (int p = 0; p < k; p++)
        {
            float sign = (p * 7 % 3) == 0 ? -1f : 1f;
            for (int j = 0; j < n; j++) w[j * k + p] = sign * 0.5f;
            x[p] = sign * 3f;
            x[k + p] = -sign * 3f;
        }
        var packed = QuantizedWeight.Quantize(w, n, k);
        var want = new float[2 * n];
        Int8GemmReference.Linear(x, 2, k, w, n, [], want);
        var got = new float[2 * n];
        Int8Gemm.Linear(x, 2, packed, [], got, maxThreads: 1, path: path);
        Assert.That(got, Is.EqualTo(want).AsCollection);
        float exact = Int8GemmReference.Dequantize(k * 127 * 127, 3f / 127f, 0.5f / 127f);
        Assert.That(got.AsSpan(0, n).ToArray(), Is.All.EqualTo(exact));
        Assert.That(got.AsSpan(n, n).ToArray(), Is.All.EqualTo(-exact));
        Assert.That(exact, Is.EqualTo(k * 1.5f).Within(1e-3f * k), "Σ x·w = k · 3 · 0.5");
    }

    [Test]
    public void ReducedRangeExtremeOperandsDoNotSaturate([ValueSource(nameof(AllPaths))] Int8GemmPath path)
    {
        // Reduced-range weights quantize to ±64; x to ±127, so the biased kernels see u = xq + 128 ∈ {1, 255}. Row 0
        // (x = +3 → u = 255) against a +64 column makes every VPMADDUBSW pair 2 · 255 · 64 = 32640, the largest
        // possible, and against a -64 column -32640; row 1 (x = -3 → u = 1) the smallest. A saturating int16 step,
        // or a bound one off (w = ±65), would be visible: the exact sums are ±k · 127 · 64.
        RequirePath(path);
        const int k = 3072, n = 33;
        var w = new float[n * k];
        var x = new float[2 * k];
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++) w[j * k + p] = j % 2 == 0 ? 0.5f : -0.5f;
        for (int p = 0; p < k; p++) { x[p] = 3f; x[k + p] = -3f; }
        var packed = QuantizedWeight.Quantize(w, n, k, reducedRange: true);
        Assert.That(packed[0, 0], Is.EqualTo((sbyte)64));
        Assert.That(packed[1, 0], Is.EqualTo((sbyte)-64));
        var want = new float[2 * n];
        Int8GemmReference.Linear(x, 2, k, w, n, [], want, reducedWeightRange: true);
        var got = new float[2 * n];
        Int8Gemm.Linear(x, 2, packed, [], got, maxThreads: 1, path: path);
        Assert.That(got, Is.EqualTo(want).AsCollection);
        float exact = Int8GemmReference.Dequantize(k * 127 * 64, 3f / 127f, 0.5f / 64f);
        for (int j = 0; j < n; j++)
        {
            Assert.That(got[j], Is.EqualTo(j % 2 == 0 ? exact : -exact), $"row 0 column {j}");
            Assert.That(got[n + j], Is.EqualTo(j % 2 == 0 ? -exact : exact), $"row 1 column {j}");
        }
    }

    [Test]
    public void ReducedRangeWeightsAreSevenBitAndCloseToFullRange()
    {
        var rng = new Random(8);
        const int n = 40, k = 300;
        float[] w = Random(rng, n * k);
        var full = QuantizedWeight.Quantize(w, n, k);
        var reduced = QuantizedWeight.Quantize(w, n, k, reducedRange: true);
        Assert.That((full.MaxLevel, full.ReducedRange, reduced.MaxLevel, reduced.ReducedRange), Is.EqualTo((127, false, 64, true)));
        for (int j = 0; j < n; j++)
        {
            float max = 0;
            for (int p = 0; p < k; p++) max = Math.Max(max, Math.Abs(w[j * k + p]));
            Assert.That(reduced.Scale(j), Is.EqualTo(max / 64f));
            for (int p = 0; p < k; p++)
            {
                Assert.That(Math.Abs((int)reduced[j, p]), Is.LessThanOrEqualTo(64));
                Assert.That(Math.Abs(reduced[j, p] * reduced.Scale(j) - w[j * k + p]), Is.LessThanOrEqualTo(reduced.Scale(j) / 2 * 1.0001f), $"[{j},{p}]");
            }
        }
    }

    [Test]
    public void CloseToFp32WithinTheQuantizationBound([Values(1, 7, 128)] int m, [Values(3, 384, 3072)] int k, [Values(17, 384)] int n)
    {
        // x_p = sx·xq_p + ex_p, |ex_p| ≤ sx/2; w_p = sw·wq_p + ew_p, |ew_p| ≤ sw/2 (round to nearest, sx = max|x|/127).
        // Σ x·w − Σ x̂·ŵ = Σ x·(w − ŵ) + Σ ŵ·(x − x̂), so per element
        //   |y_int8 − y_fp32| ≤ (sw/2)·Σ|x_p| + (sx/2)·Σ|ŵ_p|,   Σ|ŵ_p| ≤ Σ|w_p| + k·sw/2
        // ≈ (max|w|·Σ|x| + max|x|·Σ|w|) / 254: at most 1/127 of max|x|·max|w|·k, relative to the worst-case magnitude.
        // Plus float rounding of both computations: 1e-5 · (Σ|x||w| + |bias| + 1), as in GemmTests.
        var rng = new Random(m * 1000 + k + n);
        float[] x = Random(rng, m * k, 3f), w = Random(rng, n * k, 0.05f), bias = Random(rng, n);
        var fp32 = new float[m * n];
        GemmReference.Linear(x, m, k, w, n, bias, fp32);
        var int8 = new float[m * n];
        Int8Gemm.Linear(x, m, QuantizedWeight.Quantize(w, n, k), bias, int8, maxThreads: 1);
        double sumSquaredError = 0, sumSquared = 0;
        for (int i = 0; i < m; i++)
        {
            double sx = 0, sumAbsX = 0;
            for (int p = 0; p < k; p++) { sx = Math.Max(sx, Math.Abs(x[i * k + p])); sumAbsX += Math.Abs(x[i * k + p]); }
            sx /= 127;
            for (int j = 0; j < n; j++)
            {
                double sw = 0, sumAbsW = 0, sumAbsXW = 0;
                for (int p = 0; p < k; p++)
                {
                    sw = Math.Max(sw, Math.Abs(w[j * k + p]));
                    sumAbsW += Math.Abs(w[j * k + p]);
                    sumAbsXW += Math.Abs(x[i * k + p] * w[j * k + p]);
                }
                sw /= 127;
                double bound = sw / 2 * sumAbsX + sx / 2 * (sumAbsW + k * sw / 2) + 1e-5 * (sumAbsXW + Math.Abs(bias[j]) + 1);
                double diff = Math.Abs(int8[i * n + j] - (double)fp32[i * n + j]);
                if (!(diff <= bound))
                    Assert.Fail($"y[{i},{j}] int8 {int8[i * n + j]} fp32 {fp32[i * n + j]}: |diff| {diff:g3} > bound {bound:g3}");
                sumSquaredError += diff * diff;
                sumSquared += (double)fp32[i * n + j] * fp32[i * n + j];
            }
        }
        TestContext.Out.WriteLine($"m={m} k={k} n={n}: relative Frobenius error int8 vs fp32 = {Math.Sqrt(sumSquaredError / sumSquared):g3}");
    }

    [Test]
    public void ResultIsBitIdenticalForAnyThreadCount([ValueSource(nameof(AllPaths))] Int8GemmPath path, [Values(1, 7, 128, 300)] int m,
        [Values(false, true)] bool reducedRange)
    {
        RequirePath(path);
        var rng = new Random(m);
        const int k = 513, n = 100;
        float[] x = Random(rng, m * k), w = Random(rng, n * k), bias = Random(rng, n), residual = Random(rng, m * n);
        var packed = QuantizedWeight.Quantize(w, n, k, reducedRange);
        var one = new float[m * n];
        Int8Gemm.Linear(x, m, packed, bias, one, residual, maxThreads: 1, path: path);
        foreach (int threads in new[] { 2, 3, 0 })
        {
            var many = new float[m * n];
            Int8Gemm.Linear(x, m, packed, bias, many, residual, maxThreads: threads, path: path);
            Assert.That(many, Is.EqualTo(one).AsCollection, $"maxThreads={threads} differs from 1 thread");
        }
    }

    [Test]
    public void EachRowIsBitIdenticalWhateverElseIsInTheBatch([ValueSource(nameof(AllPaths))] Int8GemmPath path, [Values(false, true)] bool reducedRange)
    {
        RequirePath(path);
        var rng = new Random(11);
        const int m = 70, k = 1500, n = 70;
        float[] x = Random(rng, m * k), w = Random(rng, n * k), bias = Random(rng, n);
        for (int p = 0; p < k; p++) x[5 * k + p] *= 1000f; // an outlier row must not change the others' scales
        var packed = QuantizedWeight.Quantize(w, n, k, reducedRange);
        var all = new float[m * n];
        Int8Gemm.Linear(x, m, packed, bias, all, maxThreads: 2, path: path);
        var one = new float[n];
        for (int i = 0; i < m; i++)
        {
            Int8Gemm.Linear(x.AsSpan(i * k, k), 1, packed, bias, one, maxThreads: 1, path: path);
            Assert.That(one, Is.EqualTo(all.AsSpan(i * n, n).ToArray()).AsCollection, $"row {i}");
        }
    }

    [Test]
    public void ZeroAndNonFiniteRows([ValueSource(nameof(AllPaths))] Int8GemmPath path, [Values(false, true)] bool reducedRange)
    {
        RequirePath(path);
        const int k = 9, n = 5;
        var rng = new Random(2);
        float[] w = Random(rng, n * k), bias = Random(rng, n);
        var x = new float[3 * k];
        x[2 * k + 4] = float.NaN; // row 0: zeros; row 1: zeros; row 2: NaN
        var y = new float[3 * n];
        Int8Gemm.Linear(x, 3, QuantizedWeight.Quantize(w, n, k, reducedRange), bias, y, maxThreads: 1, path: path);
        Assert.That(y.AsSpan(0, n).ToArray(), Is.EqualTo(bias).AsCollection, "a zero row gives the bias");
        Assert.That(y.AsSpan(2 * n, n).ToArray(), Is.All.NaN, "a NaN in x propagates as in fp32");
    }

    [Test]
    public void ConcurrentCallersGetCorrectResults()
    {
        var rng = new Random(3);
        const int m = 64, k = 256, n = 256;
        float[] x = Random(rng, m * k), w = Random(rng, n * k);
        var packed = QuantizedWeight.Quantize(w, n, k);
        var want = new float[m * n];
        Int8GemmReference.Linear(x, m, k, w, n, [], want);
        Parallel.For(0, 16, _ =>
        {
            var got = new float[m * n];
            Int8Gemm.Linear(x, m, packed, [], got);
            Assert.That(got, Is.EqualTo(want).AsCollection);
        });
    }

    [Test]
    public void SteadyStateCallsAllocateNothing([Values(1, 2)] int threads, [Values(false, true)] bool reducedRange)
    {
        const int m = 64, k = 384, n = 384;
        var rng = new Random(5);
        float[] x = Random(rng, m * k), w = Random(rng, n * k);
        var packed = QuantizedWeight.Quantize(w, n, k, reducedRange);
        float[] bias = new float[n], y = new float[m * n], residual = new float[m * n];
        // Warm up past tiered JIT (30 calls to tier 1, then a background recompile): pool threads, scratch, code.
        for (int i = 0; i < 200; i++) Int8Gemm.Linear(x, m, packed, bias, y, residual, threads);
        Thread.Sleep(200);
        long before = GC.GetAllocatedBytesForCurrentThread() + KernelParallel.WorkerAllocatedBytes;
        for (int i = 0; i < 50; i++) Int8Gemm.Linear(x, m, packed, bias, y, residual, threads);
        long allocated = GC.GetAllocatedBytesForCurrentThread() + KernelParallel.WorkerAllocatedBytes - before;
        Assert.That(allocated, Is.Zero, $"{allocated} bytes allocated by 50 calls on {threads} thread(s)");
    }

    [Test]
    public void ZeroRowsIsANoOp()
    {
        Int8Gemm.Linear([], 0, QuantizedWeight.Quantize(new float[6], 2, 3), [], []);
        Assert.Pass();
    }

    [Test]
    public void BadArgumentsAreRejectedNamingTheArgument()
    {
        const int m = 2, k = 3, n = 4;
        var packed = QuantizedWeight.Quantize(new float[n * k], n, k);
        float[] x = new float[m * k], y = new float[m * n];
        Assert.That(() => Int8Gemm.Linear(new float[m * k - 1], m, packed, [], y), Throws.ArgumentException.With.Property("ParamName").EqualTo("x"));
        Assert.That(() => Int8Gemm.Linear(x, m, packed, new float[n - 1], y), Throws.ArgumentException.With.Property("ParamName").EqualTo("bias"));
        Assert.That(() => Int8Gemm.Linear(x, m, packed, [], new float[m * n - 1]), Throws.ArgumentException.With.Property("ParamName").EqualTo("y"));
        Assert.That(() => Int8Gemm.Linear(x, m, packed, [], y, new float[m * n - 1]), Throws.ArgumentException.With.Property("ParamName").EqualTo("residual"));
        Assert.That(() => Int8Gemm.Linear(x, -1, packed, [], y), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("m"));
        Assert.That(() => Int8Gemm.Linear(x, m, null!, [], y), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("w"));
        var buffer = new float[m * n * 2];
        Assert.That(() => Int8Gemm.Linear(buffer.AsSpan(0, m * k), m, packed, [], buffer.AsSpan(4, m * n)), Throws.ArgumentException.With.Property("ParamName").EqualTo("y"));
        Assert.That(() => Int8Gemm.Linear(x, m, packed, [], y, path: (Int8GemmPath)99), Throws.InstanceOf<ArgumentOutOfRangeException>());
        foreach (Int8GemmPath path in AllPaths)
            if (!Int8Gemm.IsSupported(path))
                Assert.That(() => Int8Gemm.Linear(x, m, packed, [], y, path: path),
                    Throws.InstanceOf<PlatformNotSupportedException>().With.Message.Contains(path.ToString()));
        Assert.That(() => Int8GemmReference.Linear(x, m, k, new float[n * k - 1], n, [], y), Throws.ArgumentException.With.Property("ParamName").EqualTo("w"));
    }

    [Test]
    public void AutoPicksTheBestSupportedPath()
    {
        Int8GemmPath best = Int8Gemm.BestPath;
        Assert.That(best, Is.Not.EqualTo(Int8GemmPath.Auto));
        Assert.That(Int8Gemm.IsSupported(best));
        if (Int8Gemm.IsSupported(Int8GemmPath.AvxVnni)) Assert.That(best, Is.EqualTo(Int8GemmPath.AvxVnni));
        else if (Int8Gemm.IsSupported(Int8GemmPath.Avx512BW)) Assert.That(best, Is.EqualTo(Int8GemmPath.Avx512BW));
        else if (Int8Gemm.IsSupported(Int8GemmPath.Avx2)) Assert.That(best, Is.EqualTo(Int8GemmPath.Avx2));
        else if (Int8Gemm.IsSupported(Int8GemmPath.ArmDot)) Assert.That(best, Is.EqualTo(Int8GemmPath.ArmDot));
        TestContext.Out.WriteLine($"Int8GemmPath.Auto runs {best} on this CPU");
    }
}

/// <summary>QuantizedWeight: per-channel scales, the 16-column panel layout of 4-byte groups, padding, bad weights.</summary>
public class QuantizedWeightTests
{
    [Test]
    public void PanelsHoldFourByteGroupsOfSixteenColumnsZeroPadded()
    {
        const int n = 17, k = 5; // 2 panels, PaddedK 8
        var w = new float[n * k];
        for (int j = 0; j < n; j++) for (int p = 0; p < k; p++) w[j * k + p] = (p == 0 ? 127 : j + p) * (j + 1);
        var q = QuantizedWeight.Quantize(w, n, k);
        Assert.That(q.PanelCount, Is.EqualTo(2));
        Assert.That(q.PaddedK, Is.EqualTo(8));
        ReadOnlySpan<sbyte> data = q.Packed;
        Assert.That(data.Length, Is.EqualTo(2 * 16 * 8));
        for (int j = 0; j < n; j++)
        {
            Assert.That(q.Scale(j), Is.EqualTo(127f * (j + 1) / 127f), $"scale {j}");
            for (int p = 0; p < k; p++)
            {
                sbyte want = (sbyte)(p == 0 ? 127 : j + p);
                Assert.That(q[j, p], Is.EqualTo(want), $"q[{j},{p}]");
                Assert.That(data[j / 16 * 16 * 8 + p / 4 * 64 + j % 16 * 4 + p % 4], Is.EqualTo(want), $"packed [{j},{p}]");
            }
            for (int p = k; p < 8; p++)
                Assert.That(data[j / 16 * 16 * 8 + p / 4 * 64 + j % 16 * 4 + p % 4], Is.Zero, $"k padding [{j},{p}]");
        }
        Assert.That(data.Slice(16 * 8 + 4, 15 * 4).ToArray(), Is.All.Zero, "panel 1, group 0, columns past n");
        Assert.That(data.Slice(16 * 8 + 64 + 4, 15 * 4).ToArray(), Is.All.Zero, "panel 1, group 1, columns past n");
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = q[n, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => q.Scale(n));
    }

    [Test]
    public void ZeroRowHasScaleZero()
    {
        var w = new float[2 * 3];
        w[3] = 1f;
        var q = QuantizedWeight.Quantize(w, 2, 3);
        Assert.That(q.Scale(0), Is.Zero);
        Assert.That(new[] { q[0, 0], q[0, 1], q[0, 2] }, Is.All.Zero);
        Assert.That(q.Scale(1), Is.EqualTo(1f / 127f));
        Assert.That(q[1, 0], Is.EqualTo((sbyte)127));
    }

    [Test]
    public void BadWeightsAreRejectedNamingTheArgument()
    {
        var w = new float[4 * 3];
        w[7] = float.NaN;
        Assert.That(() => QuantizedWeight.Quantize(w, 4, 3), Throws.ArgumentException.With.Property("ParamName").EqualTo("w").And.Message.Contains("row 2"));
        Assert.That(() => QuantizedWeight.Quantize(new float[11], 4, 3), Throws.ArgumentException.With.Property("ParamName").EqualTo("w"));
        Assert.That(() => QuantizedWeight.Quantize(new float[1], 0, 1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("n"));
        Assert.That(() => QuantizedWeight.Quantize(new float[1], 1, QuantizedWeight.MaxK + 1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("k"));
    }
}
