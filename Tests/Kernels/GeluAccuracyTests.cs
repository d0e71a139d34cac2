using BertSharp.Engine.Kernels;

namespace BertSharp.Tests.Kernels;

/// <summary>
/// Exact-GELU accuracy on a dense grid against the double-precision erf, on each vector path, and the rational erf
/// it uses for |x| &lt; 3.5.
/// </summary>
public class GeluAccuracyTests
{
    [Test]
    public void RationalErfIsWithin4e7OfErfOnItsRange()
    {
        double worst = 0; float at = 0;
        for (int i = -2_000_000; i <= 2_000_000; i++)
        {
            float z = Erf.RationalLimit * i / 2_000_000f;
            double e = Math.Abs(Erf.Rational(z) - Erf.Reference(z));
            if (e > worst) { worst = e; at = z; }
        }
        Assert.That(worst, Is.LessThanOrEqualTo(4e-7), $"worst at z = {at}");
        Assert.That(Erf.Rational(0f), Is.EqualTo(0f));
        Assert.That(Erf.Rational(-1.5f), Is.EqualTo(-Erf.Rational(1.5f)));
    }

    [Test]
    public void GeluErfIsWithin1e6OnADenseGrid([Values(true, false)] bool vector512)
    {
        const int n = 1 << 22;                                  // x in [-12, 12), step ≈ 5.7e-6
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -12f + 24f * i / n;
        var fast = (float[])x.Clone();
        Activations.UseVector512 = vector512;
        try { Activations.GeluErf(fast); }
        finally { Activations.UseVector512 = true; }
        double worst = 0; float at = 0;
        for (int i = 0; i < n; i++)
        {
            double exact = 0.5 * x[i] * (1.0 + Erf.Reference(x[i] / Math.Sqrt(2.0)));
            double e = Math.Abs(fast[i] - exact);
            if (e > worst) { worst = e; at = x[i]; }
        }
        Assert.That(worst, Is.LessThanOrEqualTo(1e-6), $"worst at x = {at}");
    }

    [Test]
    public void BothFormsAgreeAtTheSwitchAndBeyondTheGrid()
    {
        float t = Activations.RationalBelow;
        float[] x = [MathF.BitDecrement(t), t, MathF.BitIncrement(t), -MathF.BitDecrement(t), -t, -MathF.BitIncrement(t),
            20f, -20f, 1e3f, -1e3f, 1e30f, -1e30f, float.MaxValue, -float.MaxValue, 0f, -0f, 1e-30f, -1e-30f];
        // Mixed 16-lane vectors: small lanes must not be disturbed by large ones and vice versa.
        var values = new float[64];
        for (int i = 0; i < values.Length; i++) values[i] = i < x.Length ? x[i] : (i % 5 - 2) * 0.7f;
        foreach (bool vector512 in new[] { true, false })
        {
            var fast = (float[])values.Clone();
            Activations.UseVector512 = vector512;
            try { Activations.GeluErf(fast); }
            finally { Activations.UseVector512 = true; }
            for (int i = 0; i < values.Length; i++)
            {
                Assert.That(fast[i], Is.EqualTo(Activations.GeluErf(values[i])), $"lane {i} (x = {values[i]}) equals the scalar twin");
                double exact = Math.Abs(values[i]) > 10 ? Math.Max(values[i], 0.0) : 0.5 * values[i] * (1.0 + Erf.Reference(values[i] / Math.Sqrt(2.0)));
                Assert.That(Math.Abs(fast[i] - exact), Is.LessThanOrEqualTo(1e-6 * Math.Max(1, Math.Abs(exact))), $"x = {values[i]}");
            }
        }
    }
}
