using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// e^x on a Vector&lt;float&gt;, for kernels that need exp inside their own loops (GELU's erfc):
/// Cephes' expf — n = round(x·log₂e), r = x − n·ln2 (in two parts), e^r by a degree-6 polynomial, times 2ⁿ through the
/// exponent bits. Relative error below 2e-7 for x in [−87, 88]; below −87.3 the result is 0, above 88.7 it is clamped.
/// (Vector.Exp is not hardware accelerated on every runtime; this is.)
/// </summary>
public static class VectorExp
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;
    private const float MaxInput = 88.7f;
    private const float MinInput = -87.3f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Exp(Vector<float> x)
    {
        var tooSmall = Vector.LessThan(x, new Vector<float>(MinInput));
        x = Vector.Min(Vector.Max(x, new Vector<float>(MinInput)), new Vector<float>(MaxInput));
        Vector<float> n = Vector.Floor(Vector.FusedMultiplyAdd(x, new Vector<float>(Log2E), new Vector<float>(0.5f)));
        Vector<float> r = Vector.FusedMultiplyAdd(n, new Vector<float>(-Ln2Lo), Vector.FusedMultiplyAdd(n, new Vector<float>(-Ln2Hi), x));
        Vector<float> p = new Vector<float>(1.9875691500e-4f);
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(1.3981999507e-3f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(8.3334519073e-3f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(4.1665795894e-2f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(1.6666665459e-1f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(5.0000001201e-1f));
        p = Vector.FusedMultiplyAdd(p, r * r, r + Vector<float>.One);
        Vector<int> exponent = Vector.ShiftLeft(Vector.ConvertToInt32(n) + new Vector<int>(127), 23);
        Vector<float> result = p * Vector.AsVectorSingle(exponent);
        return Vector.ConditionalSelect(tooSmall, Vector<float>.Zero, result);
    }

    /// <summary>The same steps on a Vector512 (used where AVX-512 is available: half the instructions per element).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var tooSmall = Vector512.LessThan(x, Vector512.Create(MinInput));
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(MinInput)), Vector512.Create(MaxInput));
        Vector512<float> n = Vector512.Floor(Vector512.FusedMultiplyAdd(x, Vector512.Create(Log2E), Vector512.Create(0.5f)));
        Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), x));
        Vector512<float> p = Vector512.Create(1.9875691500e-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        Vector512<int> exponent = Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23);
        Vector512<float> result = p * exponent.AsSingle();
        return Vector512.ConditionalSelect(tooSmall, Vector512<float>.Zero, result);
    }

    /// <summary>Scalar twin: the same steps on one float (the reference is Math.Exp).</summary>
    public static float Exp(float x)
    {
        if (x < MinInput) return 0f;
        x = Math.Min(Math.Max(x, MinInput), MaxInput);
        float n = MathF.Floor(MathF.FusedMultiplyAdd(x, Log2E, 0.5f));
        float r = MathF.FusedMultiplyAdd(n, -Ln2Lo, MathF.FusedMultiplyAdd(n, -Ln2Hi, x));
        float p = 1.9875691500e-4f;
        p = MathF.FusedMultiplyAdd(p, r, 1.3981999507e-3f);
        p = MathF.FusedMultiplyAdd(p, r, 8.3334519073e-3f);
        p = MathF.FusedMultiplyAdd(p, r, 4.1665795894e-2f);
        p = MathF.FusedMultiplyAdd(p, r, 1.6666665459e-1f);
        p = MathF.FusedMultiplyAdd(p, r, 5.0000001201e-1f);
        p = MathF.FusedMultiplyAdd(p, r * r, r + 1f);
        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }
}
