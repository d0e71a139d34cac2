using BertSharp.Engine.Kernels;

namespace BertSharp.Tests.Kernels;

/// <summary>The fused LayerNorm row kernel on each vector path, and its row-parallel form.</summary>
public class LayerNormTests
{
    private static float[] Random(int n, int seed, float scale = 1f, float offset = 0f)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale + offset;
        return a;
    }

    private static double MaxAbsDiff(float[] a, float[] b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs((double)a[i] - b[i]));
        return m;
    }

    [Test]
    public void MatchesReferenceOnEveryPath([Values(1, 3, 17)] int rows, [Values(1, 7, 16, 33, 64, 384, 512, 3072)] int n,
        [Values(true, false)] bool vector512)
    {
        var x = Random(rows * n, rows * 31 + n, 3f, 5f);   // non-zero mean
        var g = Random(n, 8); var b = Random(n, 9);
        var reference = new float[rows * n];
        LayerNorm.Reference(x, rows, n, g, b, 1e-12f, reference);
        var fast = new float[rows * n];
        LayerNorm.UseVector512 = vector512;
        try { LayerNorm.Apply(x, rows, n, g, b, 1e-12f, fast); }
        finally { LayerNorm.UseVector512 = true; }
        Assert.That(MaxAbsDiff(fast, reference), Is.LessThanOrEqualTo(n == 1 ? 1e-5 : 2e-5));
    }

    [Test]
    public void InPlaceEqualsOutOfPlace()
    {
        int rows = 5, n = 384;
        var x = Random(rows * n, 3, 2f, -1f); var g = Random(n, 4); var b = Random(n, 5);
        var y = new float[rows * n];
        LayerNorm.Apply(x, rows, n, g, b, 1e-5f, y);
        LayerNorm.Apply(x, rows, n, g, b, 1e-5f, x);
        Assert.That(x, Is.EqualTo(y));
    }

    [Test]
    public void RowParallelIsBitIdenticalToSerialForAnyThreadCount([Values(1, 15, 16, 17, 100, 128, 4096)] int rows)
    {
        int n = 384;
        var x = Random(rows * n, rows, 2f, 0.5f); var g = Random(n, 1); var b = Random(n, 2);
        var serial = new float[rows * n];
        LayerNorm.Apply(x, rows, n, g, b, 1e-12f, serial);
        foreach (int threads in new[] { 1, 2, 0 })
        {
            var parallel = Random(rows * n, 99);      // stale contents are overwritten
            LayerNorm.Apply(x, rows, n, g, b, 1e-12f, parallel, threads);
            Assert.That(parallel, Is.EqualTo(serial), $"threads={threads}");
        }
    }

    [Test]
    public void ParallelFormRejectsShortBuffers()
    {
        Assert.That(() => LayerNorm.Apply(new float[10], 2, 8, new float[8], new float[8], 1e-5f, new float[16], 2),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("x"));
        Assert.That(() => LayerNorm.Apply(new float[16], 2, 8, new float[8], new float[8], 1e-5f, new float[15], 2),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("y"));
    }

    [TestCase(1, 1)] [TestCase(3, 7)] [TestCase(5, 33)] [TestCase(2, 384)] [TestCase(1, 3072)]
    public void LayerNormMatchesReference(int rows, int n)
    {
        var x = Random(rows * n, 7, 3f); for (int i = 0; i < x.Length; i++) x[i] += 5f;   // non-zero mean
        var g = Random(n, 8); var b = Random(n, 9);
        var fast = new float[rows * n]; var reference = new float[rows * n];
        LayerNorm.Apply(x, rows, n, g, b, 1e-12f, fast);
        LayerNorm.Reference(x, rows, n, g, b, 1e-12f, reference);
        Assert.That(MaxAbsDiff(fast, reference), Is.LessThanOrEqualTo(n == 1 ? 1e-5 : 2e-5));
    }
}
