using BertSharp.Engine.Kernels;

namespace BertSharp.Tests.Kernels;

/// <summary>Gemm (every path this CPU can run) against GemmReference on random shapes, plus threading and argument checks.</summary>
public class GemmTests
{
    private static IEnumerable<GemmPath> Paths()
    {
        foreach (GemmPath path in new[] { GemmPath.Vector512, GemmPath.Vector256, GemmPath.Portable, GemmPath.Auto })
            if (Gemm.IsSupported(path))
                yield return path;
    }

    // One dimension at a time goes big, to keep the reference cheap.
    private static readonly (int M, int K, int N)[] Shapes =
    [
        (1, 1, 1), (1, 7, 1), (2, 1, 33), (7, 13, 7), (13, 7, 13), (33, 33, 33), (64, 64, 64), (1, 384, 64), (7, 64, 384),
        (13, 3072, 7), (2, 33, 3072), (3072, 7, 13), (384, 13, 2), (12, 64, 32), (25, 100, 65), (1, 768, 768),
        // BERT shapes (m = tokens): QKV/out, FFN up, FFN down (MiniLM hidden 384, BERT-base 768).
        (8, 384, 384), (8, 384, 1536), (8, 1536, 384), (16, 768, 768), (8, 768, 3072), (5, 3072, 768),
    ];

    private static float[] Random(Random rng, int length)
    {
        var a = new float[length];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    // |got - want| <= 1e-5 * sum_p |x||w| (+ |bias| + |residual|), per element.
    private static void AssertClose(float[] got, float[] want, float[] x, float[] w, int m, int k, int n, string what)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double scale = 1.0;
                for (int p = 0; p < k; p++) scale += Math.Abs(x[i * k + p] * w[j * k + p]);
                double diff = Math.Abs(got[i * n + j] - want[i * n + j]);
                if (!(diff <= 1e-5 * scale))
                    Assert.Fail($"{what}: y[{i},{j}] = {got[i * n + j]} but reference {want[i * n + j]} (|diff| {diff:g3}, allowed {1e-5 * scale:g3})");
            }
        }
    }

    [Test]
    public void MatchesReferenceOnEveryPathAndShape(
        [ValueSource(nameof(Paths))] GemmPath path,
        [Values(false, true)] bool withBias,
        [Values(false, true)] bool withResidual)
    {
        var rng = new Random(1234);
        foreach (var (m, k, n) in Shapes)
        {
            float[] x = Random(rng, m * k), w = Random(rng, n * k);
            float[] bias = withBias ? Random(rng, n) : [];
            float[] residual = withResidual ? Random(rng, m * n) : [];
            var want = new float[m * n];
            GemmReference.Linear(x, m, k, w, n, bias, want, residual);

            var packed = PackedWeight.Pack(w, n, k);
            var got = new float[m * n + 5];
            Array.Fill(got, float.NaN); // stale output must be overwritten, never accumulated into
            Gemm.Linear(x, m, packed, bias, got.AsSpan(0, m * n), residual, maxThreads: 1, path: path);
            AssertClose(got, want, x, w, m, k, n, $"{path} m={m} k={k} n={n} bias={withBias} residual={withResidual}");
            Assert.That(got.AsSpan(m * n).ToArray(), Is.All.NaN, "wrote past y[m*n]");
        }
    }

    [Test]
    public void ColumnsEndingInsideEitherSubPanelMatchReference(
        [ValueSource(nameof(Paths))] GemmPath path,
        [Values(16, 17, 31, 48, 383)] int n) // last panel: exactly sub-panel 0, 1 into sub-panel 1, 1 short of full, ...
    {
        var rng = new Random(n);
        foreach (int m in new[] { 1, 5, 7, 13 })
        {
            foreach (int k in new[] { 1, 5, 383 })
            {
                float[] x = Random(rng, m * k), w = Random(rng, n * k), bias = Random(rng, n), residual = Random(rng, m * n);
                var want = new float[m * n];
                GemmReference.Linear(x, m, k, w, n, bias, want, residual);
                var got = new float[m * n + 5];
                Array.Fill(got, float.NaN);
                Gemm.Linear(x, m, PackedWeight.Pack(w, n, k), bias, got.AsSpan(0, m * n), residual, maxThreads: 1, path: path);
                AssertClose(got, want, x, w, m, k, n, $"{path} m={m} k={k} n={n}");
                Assert.That(got.AsSpan(m * n).ToArray(), Is.All.NaN, "wrote past y[m*n]");
            }
        }
    }

    [Test]
    public void LongKCrossesManyKBlocks([ValueSource(nameof(Paths))] GemmPath path)
    {
        var rng = new Random(7);
        const int m = 3, k = 3072 + 5, n = 40;
        float[] x = Random(rng, m * k), w = Random(rng, n * k), bias = Random(rng, n);
        var want = new float[m * n];
        GemmReference.Linear(x, m, k, w, n, bias, want);
        var got = new float[m * n];
        Gemm.Linear(x, m, PackedWeight.Pack(w, n, k), bias, got, maxThreads: 1, path: path);
        AssertClose(got, want, x, w, m, k, n, path.ToString());
    }

    [Test]
    public void ManyRowsCrossRowBlocks([ValueSource(nameof(Paths))] GemmPath path)
    {
        var rng = new Random(8);
        const int m = 1000, k = 700, n = 3; // 1000 × 700 floats exceeds one packed row block
        float[] x = Random(rng, m * k), w = Random(rng, n * k);
        var want = new float[m * n];
        GemmReference.Linear(x, m, k, w, n, [], want);
        var got = new float[m * n];
        Gemm.Linear(x, m, PackedWeight.Pack(w, n, k), [], got, maxThreads: 2, path: path);
        AssertClose(got, want, x, w, m, k, n, path.ToString());
    }

    [Test]
    public void ResultIsBitIdenticalForAnyThreadCount(
        [ValueSource(nameof(Paths))] GemmPath path,
        [Values(1, 7, 128, 300)] int m,
        [Values(64, 100, 768)] int n)
    {
        var rng = new Random(m * 31 + n);
        const int k = 513;
        float[] x = Random(rng, m * k), w = Random(rng, n * k), bias = Random(rng, n), residual = Random(rng, m * n);
        var packed = PackedWeight.Pack(w, n, k);
        var one = new float[m * n];
        Gemm.Linear(x, m, packed, bias, one, residual, maxThreads: 1, path: path);
        foreach (int threads in new[] { 2, 3, 0 })
        {
            var many = new float[m * n];
            Gemm.Linear(x, m, packed, bias, many, residual, maxThreads: threads, path: path);
            Assert.That(many, Is.EqualTo(one).AsCollection, $"maxThreads={threads} differs from 1 thread");
        }
    }

    [Test]
    public void EachRowIsBitIdenticalWhateverElseIsInTheBatch([ValueSource(nameof(Paths))] GemmPath path)
    {
        // Batch invariance: a sentence's activations must not depend on what it is batched with. Every row goes
        // through the same operations in the same order whatever the tile height m happens to give it.
        var rng = new Random(11);
        const int m = 37, k = 1500, n = 70;
        float[] x = Random(rng, m * k), w = Random(rng, n * k), bias = Random(rng, n);
        var packed = PackedWeight.Pack(w, n, k);
        var all = new float[m * n];
        Gemm.Linear(x, m, packed, bias, all, maxThreads: 2, path: path);
        var one = new float[n];
        for (int i = 0; i < m; i++)
        {
            Gemm.Linear(x.AsSpan(i * k, k), 1, packed, bias, one, maxThreads: 1, path: path);
            Assert.That(one, Is.EqualTo(all.AsSpan(i * n, n).ToArray()).AsCollection, $"row {i}");
        }
    }

    [Test]
    public void ConcurrentCallersGetCorrectResults()
    {
        var rng = new Random(3);
        const int m = 64, k = 256, n = 256;
        float[] x = Random(rng, m * k), w = Random(rng, n * k);
        var packed = PackedWeight.Pack(w, n, k);
        var want = new float[m * n];
        Gemm.Linear(x, m, packed, [], want, maxThreads: 1);
        Parallel.For(0, 16, _ =>
        {
            var got = new float[m * n];
            Gemm.Linear(x, m, packed, [], got);
            Assert.That(got, Is.EqualTo(want).AsCollection);
        });
    }

    [Test]
    public void ZeroRowsIsANoOp()
    {
        var packed = PackedWeight.Pack(new float[6], 2, 3);
        Gemm.Linear([], 0, packed, [], []);
        Assert.Pass();
    }

    [Test]
    public void PackLaysOutThirtyTwoColumnPanelsOfTwoSixteenColumnSubPanelsZeroPadded()
    {
        const int n = 33, k = 2;
        var w = new float[n * k];
        for (int j = 0; j < n; j++) for (int p = 0; p < k; p++) w[j * k + p] = j * 10 + p;
        var packed = PackedWeight.Pack(w, n, k);
        Assert.That(packed.PanelCount, Is.EqualTo(2));
        ReadOnlySpan<float> data = packed.Packed;
        Assert.That(data.Length, Is.EqualTo(2 * 32 * k));
        Assert.That(data[1 * 16 + 5], Is.EqualTo(51f));              // panel 0, sub-panel 0, p = 1, column 5
        Assert.That(data[16 * k + 1 * 16 + 4], Is.EqualTo(201f));     // panel 0, sub-panel 1, p = 1, column 20
        Assert.That(data[16 * k + 0 * 16 + 15], Is.EqualTo(310f));    // panel 0, sub-panel 1, p = 0, column 31
        Assert.That(data[32 * k + 0 * 16 + 0], Is.EqualTo(320f));     // panel 1, sub-panel 0, p = 0, column 32
        Assert.That(data[32 * k + 1 * 16 + 0], Is.EqualTo(321f));     // panel 1, sub-panel 0, p = 1, column 32
        Assert.That(data[32 * k + 1 * 16 + 1], Is.EqualTo(0f));       // padding past n
        Assert.That(data.Slice(32 * k + 16 * k, 16 * k).ToArray(), Is.All.EqualTo(0f)); // panel 1, sub-panel 1: all padding
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++)
                Assert.That(data[j / 32 * 32 * k + j % 32 / 16 * 16 * k + p * 16 + j % 16], Is.EqualTo(w[j * k + p]), $"w[{j},{p}]");
    }

    [Test]
    public void ShortSpansAreRejectedNamingTheArgument()
    {
        const int m = 2, k = 3, n = 4;
        var packed = PackedWeight.Pack(new float[n * k], n, k);
        float[] x = new float[m * k], y = new float[m * n];
        Assert.That(() => Gemm.Linear(new float[m * k - 1], m, packed, [], y), Throws.ArgumentException.With.Property("ParamName").EqualTo("x"));
        Assert.That(() => Gemm.Linear(x, m, packed, new float[n - 1], y), Throws.ArgumentException.With.Property("ParamName").EqualTo("bias"));
        Assert.That(() => Gemm.Linear(x, m, packed, [], new float[m * n - 1]), Throws.ArgumentException.With.Property("ParamName").EqualTo("y"));
        Assert.That(() => Gemm.Linear(x, m, packed, [], y, new float[m * n - 1]), Throws.ArgumentException.With.Property("ParamName").EqualTo("residual"));
        Assert.That(() => Gemm.Linear(x, -1, packed, [], y), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("m"));
        Assert.That(() => Gemm.Linear(x, m, null!, [], y), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("w"));
        Assert.That(() => PackedWeight.Pack(new float[n * k - 1], n, k), Throws.ArgumentException.With.Property("ParamName").EqualTo("w"));
        Assert.That(() => PackedWeight.Pack(new float[1], 0, 1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("n"));
        Assert.That(() => GemmReference.Linear(x, m, k, new float[n * k - 1], n, [], y), Throws.ArgumentException.With.Property("ParamName").EqualTo("w"));
        Assert.That(() => GemmReference.Linear(x, m, k, new float[n * k], n, [], new float[1]), Throws.ArgumentException.With.Property("ParamName").EqualTo("y"));
    }

    [Test]
    public void OverlappingOutputIsRejected()
    {
        const int m = 2, k = 4, n = 4;
        var packed = PackedWeight.Pack(new float[n * k], n, k);
        var buffer = new float[m * n * 2];
        Assert.That(() => Gemm.Linear(buffer.AsSpan(0, m * k), m, packed, [], buffer.AsSpan(4, m * n)), Throws.ArgumentException.With.Property("ParamName").EqualTo("y"));
        Assert.That(() => Gemm.Linear(new float[m * k], m, packed, [], buffer.AsSpan(0, m * n), buffer.AsSpan(0, m * n)), Throws.ArgumentException.With.Property("ParamName").EqualTo("y"));
    }

    [Test]
    public void UnsupportedForcedPathThrows()
    {
        var packed = PackedWeight.Pack(new float[4], 2, 2);
        foreach (GemmPath path in new[] { GemmPath.Vector512, GemmPath.Vector256 })
            if (!Gemm.IsSupported(path))
                Assert.That(() => Gemm.Linear(new float[2], 1, packed, [], new float[2], path: path), Throws.InstanceOf<PlatformNotSupportedException>());
        Assert.That(() => Gemm.Linear(new float[2], 1, packed, [], new float[2], path: (GemmPath)99), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void CacheSizeParsing()
    {
        Assert.That(CpuCacheInfo.ParseSize("32K"), Is.EqualTo(32 * 1024));
        Assert.That(CpuCacheInfo.ParseSize("2M"), Is.EqualTo(2 * 1024 * 1024));
        Assert.That(CpuCacheInfo.ParseSize("4096"), Is.EqualTo(4096));
        Assert.That(CpuCacheInfo.ParseSize("junk"), Is.EqualTo(0));
        Assert.That(CpuCacheInfo.L1DataBytes, Is.InRange(8 * 1024, 1024 * 1024));
        Assert.That(CpuCacheInfo.L2Bytes, Is.InRange(128 * 1024, 64 * 1024 * 1024));
    }
}

/// <summary>Steady-state calls allocate nothing (the MemoryDiagnoser benchmark shows the same).</summary>
public class PackedWeightIndexerTests
{
    [TestCase(1, 1)] [TestCase(33, 7)] [TestCase(70, 384)]
    public void PackedWeightIndexerReadsTheSourceWeight(int n, int k)
    {
        var w = new float[n * k];
        for (int i = 0; i < w.Length; i++) w[i] = i * 0.5f;
        var packed = PackedWeight.Pack(w, n, k);
        for (int r = 0; r < n; r++)
            for (int c = 0; c < k; c++)
                Assert.That(packed[r, c], Is.EqualTo(w[r * k + c]), $"[{r},{c}]");
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = packed[n, 0]);
    }
}

public class GemmAllocationTests
{
    [Test]
    public void SteadyStateCallsAllocateNothing([Values(1, 2)] int threads)
    {
        const int m = 64, k = 384, n = 384;
        var rng = new Random(5);
        var x = new float[m * k];
        var w = new float[n * k];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextDouble();
        var packed = PackedWeight.Pack(w, n, k);
        float[] bias = new float[n], y = new float[m * n], residual = new float[m * n];
        // Warm up past tiered JIT (30 calls to tier 1, then a background recompile): pool threads, scratch, code.
        for (int i = 0; i < 200; i++) Gemm.Linear(x, m, packed, bias, y, residual, threads);
        Thread.Sleep(200);

        // The calling thread plus the kernel pool's workers (not process-wide: the test host's threads allocate too).
        long before = GC.GetAllocatedBytesForCurrentThread() + KernelParallel.WorkerAllocatedBytes;
        for (int i = 0; i < 50; i++) Gemm.Linear(x, m, packed, bias, y, residual, threads);
        long allocated = GC.GetAllocatedBytesForCurrentThread() + KernelParallel.WorkerAllocatedBytes - before;
        Assert.That(allocated, Is.Zero, $"{allocated} bytes allocated by 50 calls on {threads} thread(s)");
    }
}

public class GemmEpilogueTests
{
    // y = tanh(...) marks every element, and records that each (row, column) was visited exactly once.
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
    public void EpilogueSeesEveryFinalElementOnce([Values(1, 2)] int threads, [Values(33, 64, 100)] int n)
    {
        var rng = new Random(n);
        const int m = 29, k = 1100; // several k blocks: the epilogue must only see final values
        var x = new float[m * k];
        var w = new float[n * k];
        var bias = new float[n];
        var residual = new float[m * n];
        foreach (var a in new[] { x, w, bias, residual })
            for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() - 0.5) * 0.2f;
        var packed = PackedWeight.Pack(w, n, k);

        var plain = new float[m * n];
        Gemm.Linear(x, m, packed, bias, plain, residual, maxThreads: threads);
        var visits = new int[m * n];
        var fused = new float[m * n];
        Gemm.Linear(x, m, packed, bias, fused, new TanhEpilogue(visits, n), residual, maxThreads: threads);

        Assert.That(visits, Is.All.EqualTo(1));
        for (int i = 0; i < plain.Length; i++)
            Assert.That(fused[i], Is.EqualTo(MathF.Tanh(plain[i])), $"element {i}");
    }

    private readonly struct ThrowingEpilogue : IGemmEpilogue
    {
        public void Apply(Span<float> segment, int row, int column)
        {
            if (row == 5 && column == 64) throw new InvalidOperationException("epilogue failed at row 5");
        }
    }

    [Test]
    public void EpilogueExceptionReachesTheCallerAndThePoolStillWorks([Values(1, 2)] int threads)
    {
        const int m = 64, k = 256, n = 256;
        var x = new float[m * k];
        var packed = PackedWeight.Pack(new float[n * k], n, k);
        var y = new float[m * n];
        Assert.That(() => Gemm.Linear(x, m, packed, [], y, new ThrowingEpilogue(), maxThreads: threads),
            Throws.InvalidOperationException.With.Message.Contains("row 5"));
        // The next call (same thread, same pooled job) is unaffected.
        Array.Fill(x, 1f);
        Gemm.Linear(x, m, packed, [], y, maxThreads: threads);
        Assert.That(y, Is.All.EqualTo(0f));
    }

    // An epilogue that itself runs a (different) GEMM on every segment: the nested call must not disturb the outer one.
    private readonly struct NestedGemmEpilogue(PackedWeight inner) : IGemmEpilogue
    {
        public void Apply(Span<float> segment, int row, int column)
        {
            Span<float> innerX = stackalloc float[inner.K];
            innerX.Fill(1f);
            Span<float> innerY = stackalloc float[inner.N];
            Gemm.Linear(innerX, 1, inner, [], innerY, maxThreads: 1);
            segment[0] += innerY[0] * 0f; // uses the result; leaves y unchanged
        }
    }

    [Test]
    public void GemmInsideAnEpilogueDoesNotDisturbTheOuterCall([Values(1, 2)] int threads)
    {
        var rng = new Random(21);
        const int m = 40, k = 300, n = 96;
        var x = new float[m * k];
        var w = new float[n * k];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextDouble();
        var packed = PackedWeight.Pack(w, n, k);
        var inner = PackedWeight.Pack(new float[64 * 500], 64, 500);
        var want = new float[m * n];
        Gemm.Linear(x, m, packed, [], want, maxThreads: threads);
        var got = new float[m * n];
        Gemm.Linear(x, m, packed, [], got, new NestedGemmEpilogue(inner), maxThreads: threads);
        Assert.That(got, Is.EqualTo(want).AsCollection);
    }
}
