using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// Element-wise activations, in place over a span: exact GELU (erf form, BERT's "gelu"), tanh-approximated GELU
/// ("gelu_new" / "gelu_pytorch_tanh"), ReLU and tanh. Each has a plain reference next to the fast path.
/// </summary>
public static class Activations
{
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float SqrtTwoOverPi = 0.79788456080286536f;

    /// <summary>GELU(x) = x·Φ(x) = x/2·(1 + erf(x/√2)); absolute error ≲ 1e-6 for |x| ≤ 10.</summary>
    public static void GeluErf(Span<float> x)
    {
        int i = 0;
        ref float start = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        if (UseVector512 && KernelPathOverride.AllowsVector512 && Vector512.IsHardwareAccelerated)
            for (; i + 16 <= x.Length; i += 16)
                GeluErf(Vector512.LoadUnsafe(ref start, (nuint)i)).StoreUnsafe(ref start, (nuint)i);
        if (Vector.IsHardwareAccelerated && x.Length - i >= Vector<float>.Count)
        {
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = Vector.LoadUnsafe(ref start, (nuint)i);
                Vector.StoreUnsafe(GeluErf(v), ref start, (nuint)i);
            }
        }
        for (; i < x.Length; i++) x[i] = GeluErf(x[i]);
    }

    /// <summary>
    /// Scalar exact GELU, the same two forms the vector paths pick per lane: for |x| &lt; <see cref="RationalBelow"/>,
    /// x/2·(1 + erf(x/√2)) with the rational erf (no exp); beyond, via erfc and written without cancellation for
    /// negative x: x ≥ 0: x·(1 − erfc(z)/2);  x &lt; 0: x·erfc(z)/2, with z = |x|/√2.
    /// </summary>
    public static float GeluErf(float x)
    {
        if (MathF.Abs(x) < RationalBelow)
        {
            float h = 0.5f * x;
            return MathF.FusedMultiplyAdd(h, Erf.Rational(x * InvSqrt2), h);
        }
        float half = 0.5f * Erf.Complement(MathF.Abs(x) * InvSqrt2);
        return x >= 0 ? x * (1f - half) : x * half;
    }

    /// <summary>|x| below which GELU uses the rational erf (GELU error ≤ 6e-7 there: erf error × |x|/2); the erfc/exp form above.</summary>
    internal const float RationalBelow = 3.5f;

    /// <summary>Per lane: the rational form below <see cref="RationalBelow"/>, the erfc form above (computed only when some lane needs it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> GeluErf(Vector<float> x)
    {
        var rational = GeluRational(x);
        var limit = new Vector<float>(RationalBelow);
        if (Vector.LessThanAll(Vector.Abs(x), limit)) return rational;
        return Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(x), limit), rational, GeluErfc(x));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> GeluRational(Vector<float> x)
    {
        var z = x * InvSqrt2;
        var z2 = z * z;
        var p = new Vector<float>(Erf.RationalP6);
        p = Vector.FusedMultiplyAdd(z2, p, new Vector<float>(Erf.RationalP5));
        p = Vector.FusedMultiplyAdd(z2, p, new Vector<float>(Erf.RationalP4));
        p = Vector.FusedMultiplyAdd(z2, p, new Vector<float>(Erf.RationalP3));
        p = Vector.FusedMultiplyAdd(z2, p, new Vector<float>(Erf.RationalP2));
        p = Vector.FusedMultiplyAdd(z2, p, new Vector<float>(Erf.RationalP1));
        p = Vector.FusedMultiplyAdd(z2, p, new Vector<float>(Erf.RationalP0));
        var q = new Vector<float>(Erf.RationalQ4);
        q = Vector.FusedMultiplyAdd(z2, q, new Vector<float>(Erf.RationalQ3));
        q = Vector.FusedMultiplyAdd(z2, q, new Vector<float>(Erf.RationalQ2));
        q = Vector.FusedMultiplyAdd(z2, q, new Vector<float>(Erf.RationalQ1));
        q = Vector.FusedMultiplyAdd(z2, q, new Vector<float>(Erf.RationalQ0));
        var h = x * 0.5f;
        return Vector.FusedMultiplyAdd(h, z * p / q, h);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> GeluErfc(Vector<float> x)
    {
        var z = Vector.Abs(x) * InvSqrt2;
        var t = Vector<float>.One / (Vector<float>.One + z * 0.5f);
        var p = new Vector<float>(0.17087277f);
        p = Vector.FusedMultiplyAdd(p, t, new Vector<float>(-0.82215223f));
        p = Vector.FusedMultiplyAdd(p, t, new Vector<float>(1.48851587f));
        p = Vector.FusedMultiplyAdd(p, t, new Vector<float>(-1.13520398f));
        p = Vector.FusedMultiplyAdd(p, t, new Vector<float>(0.27886807f));
        p = Vector.FusedMultiplyAdd(p, t, new Vector<float>(-0.18628806f));
        p = Vector.FusedMultiplyAdd(p, t, new Vector<float>(0.09678418f));
        p = Vector.FusedMultiplyAdd(p, t, new Vector<float>(0.37409196f));
        p = Vector.FusedMultiplyAdd(p, t, new Vector<float>(1.00002368f));
        p = Vector.FusedMultiplyAdd(p, t, new Vector<float>(-1.26551223f));
        var half = 0.5f * t * VectorExp.Exp(p - z * z);
        var positive = Vector.GreaterThanOrEqual(x, Vector<float>.Zero);
        return x * Vector.ConditionalSelect(positive, Vector<float>.One - half, half);
    }

    /// <summary>Tests set this to false to exercise the Vector&lt;T&gt; path on an AVX-512 machine.</summary>
    internal static bool UseVector512 = true;

    /// <summary>The same steps as the Vector&lt;T&gt; form, 16 lanes at a time (lane for lane identical results).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> GeluErf(Vector512<float> x)
    {
        var rational = GeluRational(x);
        var limit = Vector512.Create(RationalBelow);
        if (Vector512.LessThanAll(Vector512.Abs(x), limit)) return rational;
        return Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(x), limit), rational, GeluErfc(x));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> GeluRational(Vector512<float> x)
    {
        var z = x * InvSqrt2;
        var z2 = z * z;
        var p = Vector512.Create(Erf.RationalP6);
        p = Vector512.FusedMultiplyAdd(z2, p, Vector512.Create(Erf.RationalP5));
        p = Vector512.FusedMultiplyAdd(z2, p, Vector512.Create(Erf.RationalP4));
        p = Vector512.FusedMultiplyAdd(z2, p, Vector512.Create(Erf.RationalP3));
        p = Vector512.FusedMultiplyAdd(z2, p, Vector512.Create(Erf.RationalP2));
        p = Vector512.FusedMultiplyAdd(z2, p, Vector512.Create(Erf.RationalP1));
        p = Vector512.FusedMultiplyAdd(z2, p, Vector512.Create(Erf.RationalP0));
        var q = Vector512.Create(Erf.RationalQ4);
        q = Vector512.FusedMultiplyAdd(z2, q, Vector512.Create(Erf.RationalQ3));
        q = Vector512.FusedMultiplyAdd(z2, q, Vector512.Create(Erf.RationalQ2));
        q = Vector512.FusedMultiplyAdd(z2, q, Vector512.Create(Erf.RationalQ1));
        q = Vector512.FusedMultiplyAdd(z2, q, Vector512.Create(Erf.RationalQ0));
        var h = x * 0.5f;
        return Vector512.FusedMultiplyAdd(h, z * p / q, h);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> GeluErfc(Vector512<float> x)
    {
        var z = Vector512.Abs(x) * InvSqrt2;
        var t = Vector512<float>.One / (Vector512<float>.One + z * 0.5f);
        var p = Vector512.Create(0.17087277f);
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(-0.82215223f));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(1.48851587f));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(-1.13520398f));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(0.27886807f));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(-0.18628806f));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(0.09678418f));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(0.37409196f));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(1.00002368f));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(-1.26551223f));
        var half = 0.5f * t * VectorExp.Exp(p - z * z);
        var positive = Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero);
        return x * Vector512.ConditionalSelect(positive, Vector512<float>.One - half, half);
    }

    /// <summary>Reference exact GELU: x/2·(1 + erf(x/√2)) in double.</summary>
    public static void GeluErfReference(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++)
            x[i] = (float)(0.5 * x[i] * (1.0 + Erf.Reference(x[i] / Math.Sqrt(2.0))));
    }

    /// <summary>GELU, tanh form: x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))) ("gelu_new", "gelu_pytorch_tanh").</summary>
    public static void GeluTanh(Span<float> x, Span<float> scratch)
    {
        if (scratch.Length < x.Length) throw new ArgumentException($"scratch has {scratch.Length} floats, needs {x.Length}", nameof(scratch));
        Span<float> u = scratch[..x.Length];
        TensorPrimitives.Multiply(x, x, u);                          // x²
        TensorPrimitives.Multiply(u, 0.044715f, u);
        TensorPrimitives.Add(u, 1f, u);                              // 1 + 0.044715x²
        TensorPrimitives.Multiply(u, x, u);                          // x + 0.044715x³
        TensorPrimitives.Multiply(u, SqrtTwoOverPi, u);
        TensorPrimitives.Tanh(u, u);
        TensorPrimitives.Add(u, 1f, u);
        TensorPrimitives.Multiply(u, x, u);
        TensorPrimitives.Multiply(u, 0.5f, x);
    }

    /// <summary>Reference tanh GELU in double.</summary>
    public static void GeluTanhReference(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            x[i] = (float)(0.5 * v * (1.0 + Math.Tanh(Math.Sqrt(2.0 / Math.PI) * (v + 0.044715 * v * v * v))));
        }
    }

    /// <summary>ReLU: max(x, 0).</summary>
    public static void Relu(Span<float> x) => TensorPrimitives.Max(x, 0f, x);

    /// <summary>Reference ReLU.</summary>
    public static void ReluReference(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = x[i] > 0 ? x[i] : 0f;
    }

    /// <summary>tanh (the pooler's activation).</summary>
    public static void Tanh(Span<float> x) => TensorPrimitives.Tanh(x, x);

    /// <summary>Reference tanh in double.</summary>
    public static void TanhReference(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = (float)Math.Tanh(x[i]);
    }
}
