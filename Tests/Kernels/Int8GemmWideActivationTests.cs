using BertSharp.Engine.Kernels;

namespace BertSharp.Tests.Kernels;

/// <summary>
/// Int8Gemm with wide (int16) activations (<see cref="QuantizedWeight.WideActivations"/>) on every path against
/// Int8GemmReference (bit for bit), the int16 row quantizer against its scalar rule, the overflow bound at its edge,
/// accuracy against fp32, threading, batch invariance and allocations.
/// </summary>
public class Int8GemmWideActivationTests
{
    private static readonly Int8GemmPath[] AllPaths = Int8KernelTestPaths.All;

    private static void RequirePath(Int8GemmPath path) => Int8KernelTestPaths.Require(path);

    private static float[] Random(Random rng, int length, float scale = 1f) => Int8KernelTestPaths.Random(rng, length, scale);

    // Every small (m, k, n) plus the BERT shapes (k = 1536, 3072: level below 32767); bias / residual cycle through
    // none, bias, residual, both. References computed once per run, for full- and reduced-range weights.
    private sealed record Case(int M, int K, int N, float[] X, float[] W, float[] Bias, float[] Residual, float[] Want, float[] WantReduced);

    private static readonly Lazy<List<Case>> Cases = new(() =>
    {
        var shapes = new List<(int M, int K, int N)>();
        foreach (int m in new[] { 1, 7, 9, 33 })
            foreach (int k in new[] { 1, 3, 4, 7, 384 })
                foreach (int n in new[] { 1, 17, 33 })
                    shapes.Add((m, k, n));
        shapes.AddRange([(128, 384, 384), (128, 1536, 384), (9, 1536, 33), (33, 3072, 17), (1, 3072, 384), (130, 768, 49)]);
        var rng = new Random(4321);
        var list = new List<Case>();
        int variant = 0;
        foreach (var (m, k, n) in shapes)
        {
            float[] x = Random(rng, m * k), w = Random(rng, n * k, 0.1f);
            float[] bias = (variant & 1) != 0 ? Random(rng, n) : [];
            float[] residual = (variant & 2) != 0 ? Random(rng, m * n) : [];
            variant++;
            var want = new float[m * n];
            Int8GemmReference.Linear(x, m, k, w, n, bias, want, residual, reducedWeightRange: false, wideActivations: true);
            var wantReduced = new float[m * n];
            Int8GemmReference.Linear(x, m, k, w, n, bias, wantReduced, residual, reducedWeightRange: true, wideActivations: true);
            list.Add(new Case(m, k, n, x, w, bias, residual, want, wantReduced));
        }
        return list;
    });

    [Test]
    public void WideLevelKeepsEverySumInsideInt32()
    {
        foreach (int k in new[] { 1, 7, 384, 516, 517, 768, 1536, 3072, QuantizedWeight.MaxK })
        {
            int level = ActivationQuantization.WideLevel(k);
            Assert.That((long)level * 127 * k, Is.LessThanOrEqualTo(int.MaxValue), $"k={k}");
            Assert.That(level, Is.InRange(1, 32767));
            if (level < 32767) Assert.That((long)(level + 1) * 127 * k, Is.GreaterThan(int.MaxValue), $"k={k}: the level is the largest safe one");
        }
        Assert.That(ActivationQuantization.WideLevel(384), Is.EqualTo(32767));
        Assert.That(ActivationQuantization.WideLevel(1536), Is.EqualTo(11008));
        Assert.That(() => ActivationQuantization.WideLevel(0), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Int16RowQuantizationFollowsTheScalarRule([Values(1, 7, 15, 16, 17, 33, 384, 1536)] int k, [Values(127, 5504, 11008, 32767)] int level)
    {
        var rng = new Random(k * 31 + level);
        float[] row = Random(rng, k, 3f);
        var got = new short[k];
        float scale = ActivationQuantization.QuantizeRow(row, got, level);
        float maxAbs = 0f;
        foreach (float v in row) maxAbs = MathF.Max(maxAbs, MathF.Abs(v));
        Assert.That(scale, Is.EqualTo(maxAbs / level));
        float inv = level / maxAbs;
        for (int p = 0; p < k; p++)
            Assert.That(got[p], Is.EqualTo((short)Math.Clamp(MathF.Round(row[p] * inv), -level, level)), $"p={p}");
        // Exact ties round to even, as the int8 rule: level 4, max 4 → inv 1.
        var ties = new float[] { 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 4f, -4f, 3.5f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 4f, -4f, 3.5f, -2.5f };
        var tq = new short[ties.Length];
        ActivationQuantization.QuantizeRow(ties, tq, 4);
        Assert.That(tq, Is.EqualTo(new short[] { 0, 2, 2, 0, -2, 4, -4, 4, 0, 2, 2, 0, -2, 4, -4, 4, -2 }));
    }

    [Test]
    public void Int16RowQuantizationZeroAndNonFiniteRows()
    {
        var q = new short[20];
        Array.Fill(q, (short)7);
        Assert.That(ActivationQuantization.QuantizeRow(new float[20], q, 32767), Is.Zero);
        Assert.That(q, Is.All.EqualTo(0));
        var nan = new float[20];
        nan[3] = float.NaN;
        Array.Fill(q, (short)7);
        Assert.That(ActivationQuantization.QuantizeRow(nan, q, 32767), Is.NaN);
        Assert.That(q, Is.All.EqualTo(0));
        Assert.That(() => ActivationQuantization.QuantizeRow(new float[4], new short[4], 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => ActivationQuantization.QuantizeRow(new float[4], new short[4], 32768), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => ActivationQuantization.QuantizeRow(new float[4], new short[3], 100), Throws.ArgumentException);
    }

    [Test]
    public void MatchesReferenceBitExactOnEveryShape([ValueSource(nameof(AllPaths))] Int8GemmPath path, [Values(1, 2)] int threads,
        [Values(false, true)] bool reducedRange)
    {
        RequirePath(path);
        foreach (Case c in Cases.Value)
        {
            var packed = QuantizedWeight.Quantize(c.W, c.N, c.K, reducedRange, wideActivations: true);
            Assert.That(packed.WideActivations, Is.True);
            var got = new float[c.M * c.N + 5];
            Array.Fill(got, float.NaN); // stale output must be overwritten, never accumulated into
            Int8Gemm.Linear(c.X, c.M, packed, c.Bias, got.AsSpan(0, c.M * c.N), c.Residual, maxThreads: threads, path: path);
            string what = $"{path} m={c.M} k={c.K} n={c.N} threads={threads} reduced={reducedRange}";
            Assert.That(got.AsSpan(0, c.M * c.N).ToArray(), Is.EqualTo(reducedRange ? c.WantReduced : c.Want).AsCollection, what);
            Assert.That(got.AsSpan(c.M * c.N).ToArray(), Is.All.NaN, "wrote past y[m*n]: " + what);
        }
    }

    [Test]
    public void ExtremeOperandsAtTheLevelBoundAreExact([ValueSource(nameof(AllPaths))] Int8GemmPath path, [Values(384, 1536, 3072)] int k)
    {
        // Every x quantizes to ±WideLevel(k) and every w to ±127 with matching signs (row 0) or opposite ones (row 1),
        // so the true sums are ±k · level · 127, as close to int32's limit as the level allows; int16 saturation, a
        // wrong fold of the pair lanes or an int32 overflow would show.
        RequirePath(path);
        const int n = 33;
        var w = new float[n * k];
        var x = new float[2 * k];
        for (int p = 0; p < k; p++)
        {
            float sign = (p * 7 % 3) == 0 ? -1f : 1f;
            for (int j = 0; j < n; j++) w[j * k + p] = sign * 0.5f;
            x[p] = sign * 3f;
            x[k + p] = -sign * 3f;
        }
        int level = ActivationQuantization.WideLevel(k);
        var want = new float[2 * n];
        Int8GemmReference.Linear(x, 2, k, w, n, [], want, wideActivations: true);
        var got = new float[2 * n];
        Int8Gemm.Linear(x, 2, QuantizedWeight.Quantize(w, n, k, reducedRange: false, wideActivations: true), [], got, maxThreads: 1, path: path);
        Assert.That(got, Is.EqualTo(want).AsCollection);
        float exact = Int8GemmReference.Dequantize(k * level * 127, 3f / level, 0.5f / 127f);
        Assert.That(got.AsSpan(0, n).ToArray(), Is.All.EqualTo(exact));
        Assert.That(got.AsSpan(n, n).ToArray(), Is.All.EqualTo(-exact));
    }

    [Test]
    public void CloserToFp32ThanInt8Activations([Values(7, 128)] int m, [Values(384, 1536)] int k)
    {
        // Activations with outlier channels (as GELU outputs have): int16 rows lose far less than int8 rows.
        const int n = 64;
        var rng = new Random(k + m);
        float[] x = Random(rng, m * k), w = Random(rng, n * k, 0.05f);
        for (int i = 0; i < m; i++) x[i * k + 5] *= 60f;
        var fp32 = new float[m * n];
        GemmReference.Linear(x, m, k, w, n, [], fp32);
        var narrow = new float[m * n];
        Int8Gemm.Linear(x, m, QuantizedWeight.Quantize(w, n, k), [], narrow);
        var wide = new float[m * n];
        Int8Gemm.Linear(x, m, QuantizedWeight.Quantize(w, n, k, reducedRange: false, wideActivations: true), [], wide);
        double Error(float[] y)
        {
            double num = 0, den = 0;
            for (int i = 0; i < y.Length; i++) { num += (y[i] - fp32[i]) * (double)(y[i] - fp32[i]); den += fp32[i] * (double)fp32[i]; }
            return Math.Sqrt(num / den);
        }
        double eNarrow = Error(narrow), eWide = Error(wide);
        TestContext.Out.WriteLine($"relative error: int8 activations {eNarrow:E3}, int16 activations {eWide:E3}");
        Assert.That(eWide, Is.LessThan(eNarrow / 3), "int16 activations should remove most of the activation error");
        Assert.That(eWide, Is.LessThan(0.01), "what remains is the int8 weights' error");
    }

    [Test]
    public void EachRowIsBitIdenticalWhateverElseIsInTheBatchAndForAnyThreadCount([ValueSource(nameof(AllPaths))] Int8GemmPath path)
    {
        RequirePath(path);
        const int k = 384, n = 384, m = 300;
        var rng = new Random(77);
        float[] x = Random(rng, m * k), w = Random(rng, n * k, 0.1f), bias = Random(rng, n);
        var packed = QuantizedWeight.Quantize(w, n, k, reducedRange: false, wideActivations: true);
        var all = new float[m * n];
        Int8Gemm.Linear(x, m, packed, bias, all, maxThreads: 2, path: path);
        var one = new float[n];
        foreach (int i in new[] { 0, 3, 64, 299 })
        {
            Int8Gemm.Linear(x.AsSpan(i * k, k), 1, packed, bias, one, maxThreads: 1, path: path);
            Assert.That(one, Is.EqualTo(all.AsSpan(i * n, n).ToArray()).AsCollection, $"row {i}");
        }
    }

    [Test]
    public void SteadyStateCallsAllocateNothing([Values(1, 2)] int threads)
    {
        const int m = 16, k = 1536, n = 64; // small: on ARM64 (qemu) the wide path is the scalar kernel
        var rng = new Random(5);
        float[] x = Random(rng, m * k), w = Random(rng, n * k);
        var packed = QuantizedWeight.Quantize(w, n, k, reducedRange: false, wideActivations: true);
        float[] bias = new float[n], y = new float[m * n], residual = new float[m * n];
        for (int i = 0; i < 200; i++) Int8Gemm.Linear(x, m, packed, bias, y, residual, threads);
        Thread.Sleep(200);
        long before = GC.GetAllocatedBytesForCurrentThread() + KernelParallel.WorkerAllocatedBytes;
        for (int i = 0; i < 50; i++) Int8Gemm.Linear(x, m, packed, bias, y, residual, threads);
        long allocated = GC.GetAllocatedBytesForCurrentThread() + KernelParallel.WorkerAllocatedBytes - before;
        Assert.That(allocated, Is.Zero, $"{allocated} bytes allocated by 50 calls on {threads} thread(s)");
    }
}
