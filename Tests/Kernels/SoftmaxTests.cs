using BertSharp.Engine.Kernels;
using static BertSharp.Tests.Support.TestArrays;

namespace BertSharp.Tests.Kernels;

/// <summary>Softmax.InPlace against its reference on random lengths, masked entries, large logits.</summary>
public class SoftmaxTests
{
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
}
