using BertSharp.Engine.Kernels;
using static BertSharp.Tests.Support.TestArrays;

namespace BertSharp.Tests.Kernels;

/// <summary>VectorExp: the Vector512 and Vector&lt;T&gt; forms and the scalar twin against Math.Exp.</summary>
public class VectorExpTests
{
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
}
