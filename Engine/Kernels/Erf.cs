namespace BertSharp.Engine.Kernels;

/// <summary>
/// The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, which exact GELU needs (.NET has no Math.Erf).
/// <see cref="Reference"/> is accurate to double precision and is the oracle;
/// <see cref="Complement"/> is the float approximation the vectorised kernels use.
/// </summary>
public static class Erf
{
    /// <summary>erf(x) in double: Maclaurin series for |x| ≤ 3, continued fraction for erfc beyond.</summary>
    public static double Reference(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = Math.Abs(x);
        double r;
        if (ax <= 3.0)
        {
            // erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
            double term = ax, sum = ax, x2 = ax * ax;
            for (int n = 1; n < 200; n++)
            {
                term *= -x2 / n;
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.Abs(t) < 1e-17 * Math.Abs(sum)) break;
            }
            r = 2.0 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated bottom-up.
            double f = ax;
            for (int n = 60; n >= 1; n--) f = ax + n * 0.5 / f;
            r = 1.0 - Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }

    /// <summary>
    /// erfc(z) for z ≥ 0 in float, relative error below 1.2e-7 (Numerical Recipes' Chebyshev fit,
    /// erfc(z) ≈ t·exp(−z² + P(t)), t = 1/(1 + z/2)). Used by the vectorised GELU.
    /// </summary>
    public static float Complement(float z)
    {
        float t = 1f / (1f + 0.5f * z);
        return t * VectorExp.Exp(-z * z + ComplementPolynomial(t));
    }

    /// <summary>
    /// erf(z) for |z| ≤ <see cref="RationalLimit"/> as the rational minimax z·P(z²)/Q(z²) (the float coefficients of
    /// XLA / Eigen's erf): no exp, one division. Absolute error below 4e-7 on that range (tested on a dense grid).
    /// </summary>
    public static float Rational(float z)
    {
        float z2 = z * z;
        float p = RationalP6;
        p = MathF.FusedMultiplyAdd(z2, p, RationalP5);
        p = MathF.FusedMultiplyAdd(z2, p, RationalP4);
        p = MathF.FusedMultiplyAdd(z2, p, RationalP3);
        p = MathF.FusedMultiplyAdd(z2, p, RationalP2);
        p = MathF.FusedMultiplyAdd(z2, p, RationalP1);
        p = MathF.FusedMultiplyAdd(z2, p, RationalP0);
        float q = RationalQ4;
        q = MathF.FusedMultiplyAdd(z2, q, RationalQ3);
        q = MathF.FusedMultiplyAdd(z2, q, RationalQ2);
        q = MathF.FusedMultiplyAdd(z2, q, RationalQ1);
        q = MathF.FusedMultiplyAdd(z2, q, RationalQ0);
        return z * p / q;
    }

    /// <summary>|z| up to which <see cref="Rational"/> is tested and used (GELU: |x| &lt; 3.5, i.e. z &lt; 2.48).</summary>
    public const float RationalLimit = 2.5f;

    // P(z²) and Q(z²) of Rational, highest power first in use.
    internal const float RationalP0 = -1.60960333262415e-02f, RationalP1 = -2.95459980854025e-03f, RationalP2 = -7.34990630326855e-04f,
        RationalP3 = -5.69250639462346e-05f, RationalP4 = -2.10102402082508e-06f, RationalP5 = 2.77068142495902e-08f,
        RationalP6 = -2.72614225801306e-10f;
    internal const float RationalQ0 = -1.42647390514189e-02f, RationalQ1 = -7.37332916720468e-03f, RationalQ2 = -1.68282697438203e-03f,
        RationalQ3 = -2.13374055278905e-04f, RationalQ4 = -1.45660718464996e-05f;

    /// <summary>P(t) of <see cref="Complement"/>, Horner form; shared by the scalar and vector paths.</summary>
    internal static float ComplementPolynomial(float t)
    {
        float p = 0.17087277f;
        p = MathF.FusedMultiplyAdd(p, t, -0.82215223f);
        p = MathF.FusedMultiplyAdd(p, t, 1.48851587f);
        p = MathF.FusedMultiplyAdd(p, t, -1.13520398f);
        p = MathF.FusedMultiplyAdd(p, t, 0.27886807f);
        p = MathF.FusedMultiplyAdd(p, t, -0.18628806f);
        p = MathF.FusedMultiplyAdd(p, t, 0.09678418f);
        p = MathF.FusedMultiplyAdd(p, t, 0.37409196f);
        p = MathF.FusedMultiplyAdd(p, t, 1.00002368f);
        return MathF.FusedMultiplyAdd(p, t, -1.26551223f);
    }

}
