using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// Symmetric int8 quantization of one row (a token's activations, or one output channel of a weight): the rule every
/// int8 path and <see cref="Int8GemmReference"/> share, so their integer operands are identical.
/// </summary>
/// <remarks>
/// <code>
/// a = max_p |row[p]|                    // exact
/// scale = a / 127f                      // row ≈ scale · q
/// inv = 127f / a
/// q[p] = clamp(RoundHalfToEven(row[p] * inv), -127, 127)   // float multiply, then MathF.Round (ties to even)
/// </code>
/// A zero row — or one so small that 127 / a overflows (a &lt; ~3.7e-37) — has scale 0 and q = 0. A row holding NaN
/// or ±∞ has scale NaN and q = 0, so every output that depends on it is NaN, as in fp32. -128 is never produced, so
/// |q| ≤ 127 always (the AVX2 path relies on it).
/// </remarks>
public static class ActivationQuantization
{
    /// <summary>The largest |q| of the full int8 range: every activation row, and weights by default.</summary>
    public const int FullRange = 127;

    /// <summary>
    /// The largest |q| of the reduced (7-bit) weight range: with u8 activations ≤ 255, a VPMADDUBSW pair of products
    /// is at most 2 · 255 · 64 = 32640 ≤ 32767 in magnitude, so it never saturates (see <see cref="QuantizedWeight"/>).
    /// </summary>
    public const int ReducedRange = 64;

    /// <summary>Quantizes <paramref name="row"/> into quantized[0 .. row.Length) and returns its scale (see remarks).</summary>
    public static float QuantizeRow(ReadOnlySpan<float> row, Span<sbyte> quantized) => QuantizeRow(row, quantized, FullRange);

    /// <summary>
    /// The largest |x| of a wide (int16) activation row that multiplies int8 weights over <paramref name="k"/> inputs:
    /// min(32767, ⌊(2³¹ − 1) / (127 · k)⌋), so any Σ_p x·w with |w| ≤ 127 fits an int32 — 32767 (full int16) up to
    /// k = 516, 11008 at k = 1536, 5504 at k = 3072 (≈ 13–16 bits against int8's 7 + sign).
    /// </summary>
    public static int WideLevel(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        return (int)Math.Min(short.MaxValue, int.MaxValue / (127L * k));
    }

    /// <summary>
    /// The same rule with int16 output: scale = a / maxLevel, q = clamp(RoundHalfToEven(row · (maxLevel / a)), ±maxLevel),
    /// maxLevel in [1, 32767] (<see cref="WideLevel"/> for a wide-activation GEMM). Zero, tiny and non-finite rows as
    /// for int8 (see remarks).
    /// </summary>
    public static float QuantizeRow(ReadOnlySpan<float> row, Span<short> quantized, int maxLevel)
    {
        if (maxLevel is < 1 or > short.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(maxLevel), maxLevel, $"maxLevel must be in [1, {short.MaxValue}].");
        if (quantized.Length < row.Length)
            throw new ArgumentException($"quantized has {quantized.Length} elements but the row has {row.Length}.", nameof(quantized));
        quantized = quantized[..row.Length];
        if (!RowScale(row, maxLevel, out float inv, out float scale))
        {
            quantized.Clear();
            return scale;
        }
        float level = maxLevel;
        int done = Vector256.IsHardwareAccelerated ? QuantizeVector256(row, quantized, inv, level) : 0;
        for (int p = done; p < row.Length; p++)
            quantized[p] = (short)Math.Clamp(MathF.Round(row[p] * inv), -level, level);
        return scale;
    }

    /// <summary>
    /// As <see cref="QuantizeRow(ReadOnlySpan{float}, Span{sbyte})"/> with <paramref name="maxLevel"/> (<see cref="FullRange"/>
    /// or <see cref="ReducedRange"/>) in place of 127: scale = a / maxLevel, inv = maxLevel / a, clamp to ±maxLevel.
    /// </summary>
    public static float QuantizeRow(ReadOnlySpan<float> row, Span<sbyte> quantized, int maxLevel)
    {
        if (maxLevel is not (FullRange or ReducedRange))
            throw new ArgumentOutOfRangeException(nameof(maxLevel), maxLevel, $"maxLevel must be {FullRange} or {ReducedRange}.");
        if (quantized.Length < row.Length)
            throw new ArgumentException($"quantized has {quantized.Length} elements but the row has {row.Length}.", nameof(quantized));
        quantized = quantized[..row.Length];
        if (!RowScale(row, maxLevel, out float inv, out float scale))
        {
            quantized.Clear();
            return scale;
        }
        float level = maxLevel;
        int done = Vector256.IsHardwareAccelerated ? QuantizeVector256(row, quantized, inv, level) : 0;
        if (Vector128.IsHardwareAccelerated) done += QuantizeVector128(row[done..], quantized[done..], inv, level);
        for (int p = done; p < row.Length; p++)
            quantized[p] = Quantize(row[p], inv, level);
        return scale;
    }

    /// <summary>
    /// The rule's first step, shared by the int8 and int16 forms: a = max |row| (exact), scale = a / level,
    /// inv = level / a. False when the row quantizes to all zeros: empty, zero or tiny (scale 0), or holding NaN / ±∞
    /// (scale NaN).
    /// </summary>
    private static bool RowScale(ReadOnlySpan<float> row, float level, out float inv, out float scale)
    {
        inv = 0f;
        scale = 0f;
        if (row.IsEmpty) return false;
        float maxAbs = MathF.Abs(TensorPrimitives.MaxMagnitude(row)); // NaN if any element is NaN
        if (!float.IsFinite(maxAbs))
        {
            scale = float.NaN;
            return false;
        }
        inv = level / maxAbs;
        if (maxAbs == 0f || float.IsInfinity(inv)) return false;
        scale = maxAbs / level;
        return true;
    }

    // The int16 rule 32 elements at a time: the same float multiply, Vector256.Round (ties to even, as MathF.Round), the
    // same clamp; the clamped integers (|q| ≤ 32767) convert and narrow exactly. Returns how many elements it did.
    private static int QuantizeVector256(ReadOnlySpan<float> row, Span<short> quantized, float inv, float level)
    {
        Vector256<float> scale = Vector256.Create(inv), low = Vector256.Create(-level), high = Vector256.Create(level);
        ref float source = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(row);
        ref short target = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(quantized);
        int p = 0;
        for (; p + 32 <= row.Length; p += 32)
        {
            Vector256<int> a = Step(Vector256.LoadUnsafe(ref source, (nuint)p)), b = Step(Vector256.LoadUnsafe(ref source, (nuint)p + 8));
            Vector256<int> c = Step(Vector256.LoadUnsafe(ref source, (nuint)p + 16)), d = Step(Vector256.LoadUnsafe(ref source, (nuint)p + 24));
            Vector256.Narrow(a, b).StoreUnsafe(ref target, (nuint)p);
            Vector256.Narrow(c, d).StoreUnsafe(ref target, (nuint)p + 16);
        }
        return p;

        Vector256<int> Step(Vector256<float> v) =>
            Vector256.ConvertToInt32Native(Vector256.Min(Vector256.Max(Vector256.Round(v * scale), low), high));
    }

    // As QuantizeVector128, 32 elements at a time (Vector256.Narrow keeps element order). ConvertToInt32Native: the
    // values are already rounded and clamped to ±127, where every conversion is exact.
    private static int QuantizeVector256(ReadOnlySpan<float> row, Span<sbyte> quantized, float inv, float level)
    {
        Vector256<float> scale = Vector256.Create(inv), low = Vector256.Create(-level), high = Vector256.Create(level);
        ref float source = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(row);
        ref sbyte target = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(quantized);
        int p = 0;
        for (; p + 32 <= row.Length; p += 32)
        {
            Vector256<int> a = Step(Vector256.LoadUnsafe(ref source, (nuint)p)), b = Step(Vector256.LoadUnsafe(ref source, (nuint)p + 8));
            Vector256<int> c = Step(Vector256.LoadUnsafe(ref source, (nuint)p + 16)), d = Step(Vector256.LoadUnsafe(ref source, (nuint)p + 24));
            Vector256.Narrow(Vector256.Narrow(a, b), Vector256.Narrow(c, d)).StoreUnsafe(ref target, (nuint)p);
        }
        return p;

        Vector256<int> Step(Vector256<float> v) =>
            Vector256.ConvertToInt32Native(Vector256.Min(Vector256.Max(Vector256.Round(v * scale), low), high));
    }

    // The same rule 16 elements at a time: the same float multiply, Vector128.Round (ties to even, as MathF.Round),
    // the same clamp; the clamped integers convert and narrow exactly. Returns how many elements it did.
    private static int QuantizeVector128(ReadOnlySpan<float> row, Span<sbyte> quantized, float inv, float level)
    {
        Vector128<float> scale = Vector128.Create(inv), low = Vector128.Create(-level), high = Vector128.Create(level);
        ref float source = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(row);
        ref sbyte target = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(quantized);
        int p = 0;
        for (; p + 16 <= row.Length; p += 16)
        {
            Vector128<int> a = Step(Vector128.LoadUnsafe(ref source, (nuint)p)), b = Step(Vector128.LoadUnsafe(ref source, (nuint)p + 4));
            Vector128<int> c = Step(Vector128.LoadUnsafe(ref source, (nuint)p + 8)), d = Step(Vector128.LoadUnsafe(ref source, (nuint)p + 12));
            Vector128.Narrow(Vector128.Narrow(a, b), Vector128.Narrow(c, d)).StoreUnsafe(ref target, (nuint)p);
        }
        return p;

        Vector128<int> Step(Vector128<float> v) =>
            Vector128.ConvertToInt32Native(Vector128.Min(Vector128.Max(Vector128.Round(v * scale), low), high));
    }

    /// <summary>clamp(RoundHalfToEven(value · inv), -127, 127).</summary>
    public static sbyte Quantize(float value, float inv) => Quantize(value, inv, FullRange);

    /// <summary>clamp(RoundHalfToEven(value · inv), -maxLevel, maxLevel).</summary>
    public static sbyte Quantize(float value, float inv, float maxLevel) => (sbyte)Math.Clamp(MathF.Round(value * inv), -maxLevel, maxLevel);
}
