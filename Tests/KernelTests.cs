using BertSharp.Engine.Kernels;

namespace BertSharp.Tests;

/// <summary>Fast kernels against their reference twins on random and awkward shapes.</summary>
public class KernelTests
{
    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    private static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.That(a.Length, Is.EqualTo(b.Length));
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs((double)a[i] - b[i]));
        return m;
    }

    [TestCase(1)] [TestCase(7)] [TestCase(33)] [TestCase(384)] [TestCase(3072)]
    public void SoftmaxMatchesReference(int n)
    {
        SoftmaxMatchesReferenceOnPath(n);          // widest vectors this CPU has
        Softmax.UseVector512 = false;
        try { SoftmaxMatchesReferenceOnPath(n); }  // Vector<T>, forced
        finally { Softmax.UseVector512 = true; }
    }

    private static void SoftmaxMatchesReferenceOnPath(int n)
    {
        var x = Random(n, n, 20f);
        if (n > 2) { x[1] = float.NegativeInfinity; x[n - 1] = float.NegativeInfinity; }
        var fast = (float[])x.Clone(); var reference = (float[])x.Clone();
        Softmax.InPlace(fast); Softmax.Reference(reference);
        Assert.That(MaxAbsDiff(fast, reference), Is.LessThanOrEqualTo(1e-6));
        double sum = 0; foreach (var p in fast) sum += p;
        Assert.That(sum, Is.EqualTo(1.0).Within(1e-5));
        if (n > 2) Assert.That(fast[1], Is.EqualTo(0f), "masked entries get exactly zero");
    }

    [Test]
    public void SoftmaxIsStableForLargeLogitsAndFullyMaskedRows()
    {
        var x = new float[] { 1000f, 999f, -1000f };
        Softmax.InPlace(x);
        Assert.That(float.IsFinite(x[0]) && float.IsFinite(x[1]), Is.True);
        Assert.That(x[0] / x[1], Is.EqualTo(MathF.E).Within(1e-4));
        var masked = new[] { float.NegativeInfinity, float.NegativeInfinity };
        Softmax.InPlace(masked);
        Assert.That(masked, Is.EqualTo(new[] { 0f, 0f }));
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

    [Test]
    public void ErfReferenceMatchesKnownValues()
    {
        // Values from tables of erf (Abramowitz & Stegun 7.1), to 15 digits.
        Assert.That(Erf.Reference(0.0), Is.EqualTo(0.0));
        Assert.That(Erf.Reference(0.5), Is.EqualTo(0.520499877813047).Within(1e-14));
        Assert.That(Erf.Reference(1.0), Is.EqualTo(0.842700792949715).Within(1e-14));
        Assert.That(Erf.Reference(-2.0), Is.EqualTo(-0.995322265018953).Within(1e-14));
        Assert.That(Erf.Reference(3.5), Is.EqualTo(0.999999256901628).Within(1e-14));
        Assert.That(Erf.Reference(5.0), Is.EqualTo(1 - 1.53745979442803e-12).Within(2e-16));   // double spacing near 1 is 1.1e-16
    }

    [Test]
    public void VectorExp512MatchesTheVectorTPath()
    {
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) Assert.Ignore("no AVX-512 on this CPU");
        var rng = new Random(4);
        var x = new float[16];
        for (int trial = 0; trial < 500; trial++)
        {
            for (int i = 0; i < 16; i++) x[i] = (float)(rng.NextDouble() * 200 - 100);
            var wide = VectorExp.Exp(System.Runtime.Intrinsics.Vector512.Create(x));
            for (int i = 0; i < 16; i++)
                Assert.That(wide[i], Is.EqualTo(VectorExp.Exp(x[i])), $"exp({x[i]}): Vector512 and scalar twin take the same steps");
        }
    }

    [Test]
    public void VectorExpMatchesMathExp()
    {
        int w = System.Numerics.Vector<float>.Count;
        var rng = new Random(3);
        for (int trial = 0; trial < 2000; trial++)
        {
            var x = new float[w];
            for (int i = 0; i < w; i++) x[i] = (float)(rng.NextDouble() * 175 - 87);
            var y = VectorExp.Exp(new System.Numerics.Vector<float>(x));
            for (int i = 0; i < w; i++)
            {
                double expected = Math.Exp(x[i]);
                Assert.That(Math.Abs(y[i] - expected) / expected, Is.LessThanOrEqualTo(2e-7), $"exp({x[i]})");
                Assert.That(VectorExp.Exp(x[i]), Is.EqualTo(y[i]).Within(2e-7 * expected), "scalar twin");
            }
        }
        Assert.That(VectorExp.Exp(-100f), Is.EqualTo(0f));
        Assert.That(VectorExp.Exp(new System.Numerics.Vector<float>(-100f))[0], Is.EqualTo(0f));
        Assert.That(VectorExp.Exp(0f), Is.EqualTo(1f));
    }

    [TestCase(1)] [TestCase(7)] [TestCase(33)] [TestCase(1536)] [TestCase(3072)]
    public void GeluErfVectorPathsAgreeLaneForLane(int n)
    {
        var x = Random(n, 40 + n, 12f);
        var wide = (float[])x.Clone(); var narrow = (float[])x.Clone();
        Activations.GeluErf(wide);
        Activations.UseVector512 = false;
        try { Activations.GeluErf(narrow); }
        finally { Activations.UseVector512 = true; }
        Assert.That(wide, Is.EqualTo(narrow), "Vector512 and Vector<T> GELU give identical floats");
    }

    [TestCase(1)] [TestCase(7)] [TestCase(33)] [TestCase(1536)] [TestCase(3072)]
    public void GeluErfMatchesReference(int n)
    {
        var x = Random(n, 14 + n, 12f);
        if (n > 4) { x[0] = 0f; x[1] = -0f; x[2] = 1e-30f; x[3] = -30f; }
        var fast = (float[])x.Clone(); var reference = (float[])x.Clone();
        Activations.GeluErf(fast); Activations.GeluErfReference(reference);
        Assert.That(MaxAbsDiff(fast, reference), Is.LessThanOrEqualTo(1e-6));
    }

    [TestCase(1)] [TestCase(7)] [TestCase(33)] [TestCase(3072)]
    public void GeluTanhMatchesReference(int n)
    {
        var x = Random(n, 20 + n, 12f);
        var fast = (float[])x.Clone(); var reference = (float[])x.Clone();
        Activations.GeluTanh(fast, new float[n]); Activations.GeluTanhReference(reference);
        Assert.That(MaxAbsDiff(fast, reference), Is.LessThanOrEqualTo(2e-6));
    }

    [TestCase(7)] [TestCase(33)]
    public void ReluAndTanhMatchReference(int n)
    {
        var x = Random(n, 30 + n, 4f);
        var a = (float[])x.Clone(); var b = (float[])x.Clone();
        Activations.Relu(a); Activations.ReluReference(b);
        Assert.That(a, Is.EqualTo(b));
        a = (float[])x.Clone(); b = (float[])x.Clone();
        Activations.Tanh(a); Activations.TanhReference(b);
        Assert.That(MaxAbsDiff(a, b), Is.LessThanOrEqualTo(1e-6));
    }
}
