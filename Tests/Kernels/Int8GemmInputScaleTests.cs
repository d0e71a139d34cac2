using BertSharp.Engine.Kernels;

namespace BertSharp.Tests.Kernels;

/// <summary>
/// Int8Gemm's inputScale (SmoothQuant's 1/s applied while each row is quantized): the same bits as scaling x first
/// and as Int8GemmReference with the same scale, on every path, for int8 and int16 activations.
/// </summary>
public class Int8GemmInputScaleTests
{
    private static readonly Int8GemmPath[] AllPaths = Int8KernelTestPaths.All;

    private static float[] Random(Random rng, int length, float scale = 1f) => Int8KernelTestPaths.Random(rng, length, scale);

    [Test]
    public void ScalingWhileQuantizingEqualsScalingFirst([ValueSource(nameof(AllPaths))] Int8GemmPath path, [Values(false, true)] bool wide,
        [Values(1, 2)] int threads)
    {
        Int8KernelTestPaths.Require(path);
        foreach (var (m, k, n) in new[] { (1, 7, 17), (9, 384, 33), (70, 1536, 49) })
        {
            var rng = new Random(m * 1000 + k);
            float[] x = Random(rng, m * k, 4f), w = Random(rng, n * k, 0.1f), bias = Random(rng, n), s = new float[k];
            for (int p = 0; p < k; p++) s[p] = (float)Math.Exp(rng.NextDouble() * 4 - 2); // 0.14 .. 7.4
            var scaled = new float[m * k];
            for (int i = 0; i < m; i++)
                for (int p = 0; p < k; p++) scaled[i * k + p] = x[i * k + p] * s[p];
            var packed = QuantizedWeight.Quantize(w, n, k, reducedRange: false, wideActivations: wide);
            var first = new float[m * n];
            Int8Gemm.Linear(scaled, m, packed, bias, first, maxThreads: threads, path: path);
            var fused = new float[m * n];
            Int8Gemm.Linear(x, m, packed, bias, fused, maxThreads: threads, path: path, inputScale: s);
            var reference = new float[m * n];
            Int8GemmReference.Linear(x, m, k, w, n, bias, reference, wideActivations: wide, inputScale: s);
            string what = $"{path} m={m} k={k} n={n} wide={wide}";
            Assert.That(fused, Is.EqualTo(first).AsCollection, what);
            Assert.That(fused, Is.EqualTo(reference).AsCollection, what);
            Assert.That(x[0], Is.Not.EqualTo(scaled[0]), "x itself is left alone");
        }
    }

    [Test]
    public void AnInputScaleOfTheWrongLengthIsRejected()
    {
        const int m = 2, k = 5, n = 3;
        var packed = QuantizedWeight.Quantize(new float[n * k], n, k);
        Assert.That(() => Int8Gemm.Linear(new float[m * k], m, packed, [], new float[m * n], inputScale: new float[k - 1]),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("inputScale"));
    }
}

/// <summary>
/// A weight passed as a temporary must stay alive for the whole call: the kernels read its pinned arrays through raw
/// pointers, and a pinned array is still freed once unreachable. The epilogue forces a full GC mid-call and then fills
/// fresh pinned arrays (which would reuse freed memory) with a constant.
/// </summary>
public class Int8GemmWeightLifetimeTests
{
    private sealed class Probe
    {
        public int Calls;
        public readonly List<sbyte[]> Junk = [];
    }

    private readonly struct CollectingEpilogue(Probe probe) : IGemmEpilogue
    {
        public void Apply(Span<float> segment, int row, int column)
        {
            if (Interlocked.Increment(ref probe.Calls) != 1) return;
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            lock (probe.Junk)
                for (int i = 0; i < 8; i++)
                {
                    var junk = GC.AllocateArray<sbyte>(1 << 16, pinned: true);
                    junk.AsSpan().Fill(127);
                    probe.Junk.Add(junk);
                }
        }
    }

    [Test]
    public void ATemporaryWeightStaysAliveUntilTheCallReturns([Values(1, 2)] int threads, [Values(false, true)] bool wide)
    {
        const int m = 40, k = 384, n = 256;
        var rng = new Random(9);
        float[] x = new float[m * k], w = new float[n * k];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() * 2 - 1) * 0.1f;
        var want = new float[m * n];
        Int8GemmReference.Linear(x, m, k, w, n, [], want, wideActivations: wide);
        var got = new float[m * n];
        var probe = new Probe();
        Int8Gemm.Linear(x, m, QuantizedWeight.Quantize(w, n, k, reducedRange: false, wideActivations: wide), [], got,
            new CollectingEpilogue(probe), maxThreads: threads);
        Assert.That(probe.Calls, Is.GreaterThan(1));
        Assert.That(got, Is.EqualTo(want).AsCollection);
    }
}
