using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// Numerically stable softmax over one row: p[i] = exp(x[i] - max) / Σ exp(x[j] - max).
/// (TensorPrimitives.SoftMax does not subtract the maximum, so it can overflow: we do not use it.)
/// Masked entries are -∞ and get probability exactly 0. A row where every entry is -∞ becomes all zeros, not NaN.
/// </summary>
public static class Softmax
{
    /// <summary>In-place softmax of <paramref name="row"/>, vectorised: max, then exp and sum, then scale.</summary>
    public static void InPlace(Span<float> row)
    {
        if (row.IsEmpty) return;
        int n = row.Length, w = Vector<float>.Count, i;
        ref float r = ref MemoryMarshal.GetReference(row);

        float max = float.NegativeInfinity;
        i = 0;
        bool wide = UseVector512 && KernelPathOverride.AllowsVector512 && Vector512.IsHardwareAccelerated && n >= 16;
        if (wide)
        {
            var vmax = Vector512.Create(float.NegativeInfinity);
            for (; i + 16 <= n; i += 16) vmax = Vector512.Max(vmax, Vector512.LoadUnsafe(ref r, (nuint)i));
            for (int l = 0; l < 16; l++) max = MathF.Max(max, vmax[l]);
        }
        if (Vector.IsHardwareAccelerated && n - i >= w)
        {
            var vmax = new Vector<float>(float.NegativeInfinity);
            for (; i + w <= n; i += w) vmax = Vector.Max(vmax, Vector.LoadUnsafe(ref r, (nuint)i));
            for (int l = 0; l < w; l++) max = MathF.Max(max, vmax[l]);
        }
        for (; i < n; i++) max = MathF.Max(max, Unsafe.Add(ref r, i));
        if (float.IsNegativeInfinity(max)) { row.Clear(); return; }

        float sum = 0;
        i = 0;
        if (wide)
        {
            var vsum = Vector512<float>.Zero;
            var vmaxAll = Vector512.Create(max);
            for (; i + 16 <= n; i += 16)
            {
                var e = VectorExp.Exp(Vector512.LoadUnsafe(ref r, (nuint)i) - vmaxAll);
                e.StoreUnsafe(ref r, (nuint)i);
                vsum += e;
            }
            sum = Vector512.Sum(vsum);
        }
        if (Vector.IsHardwareAccelerated && n - i >= w)
        {
            var vsum = Vector<float>.Zero;
            var vmaxAll = new Vector<float>(max);
            for (; i + w <= n; i += w)
            {
                var e = VectorExp.Exp(Vector.LoadUnsafe(ref r, (nuint)i) - vmaxAll);
                e.StoreUnsafe(ref r, (nuint)i);
                vsum += e;
            }
            sum += Vector.Sum(vsum);
        }
        for (; i < n; i++)
        {
            float e = VectorExp.Exp(Unsafe.Add(ref r, i) - max);
            Unsafe.Add(ref r, i) = e;
            sum += e;
        }

        float scale = 1f / sum;
        i = 0;
        if (wide)
            for (; i + 16 <= n; i += 16) (Vector512.LoadUnsafe(ref r, (nuint)i) * scale).StoreUnsafe(ref r, (nuint)i);
        if (Vector.IsHardwareAccelerated)
            for (; i + w <= n; i += w) (Vector.LoadUnsafe(ref r, (nuint)i) * scale).StoreUnsafe(ref r, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref r, i) *= scale;
    }

    /// <summary>Tests set this to false to exercise the Vector&lt;T&gt; path on an AVX-512 machine.</summary>
    internal static bool UseVector512 = true;

    /// <summary>Reference: plain loops, sums in double.</summary>
    public static void Reference(Span<float> row)
    {
        if (row.IsEmpty) return;
        float max = float.NegativeInfinity;
        foreach (float v in row) if (v > max) max = v;
        if (float.IsNegativeInfinity(max)) { row.Clear(); return; }
        double sum = 0;
        for (int i = 0; i < row.Length; i++) sum += Math.Exp(row[i] - max);
        for (int i = 0; i < row.Length; i++) row[i] = (float)(Math.Exp(row[i] - max) / sum);
    }
}
