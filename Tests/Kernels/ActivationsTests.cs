using BertSharp.Engine.Kernels;
using static BertSharp.Tests.Support.TestArrays;

namespace BertSharp.Tests.Kernels;

/// <summary>GELU (exact and tanh), ReLU and tanh: fast forms against their references and against each other.</summary>
public class ActivationsTests
{
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
