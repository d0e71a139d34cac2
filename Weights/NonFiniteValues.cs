using System.Numerics;
using System.Runtime.InteropServices;

namespace BertSharp.Weights;

/// <summary>Finds NaN and ±infinity in float data: a float is non-finite exactly when its 8 exponent bits are all ones.</summary>
public static class NonFiniteValues
{
    private const uint ExponentMask = 0x7F80_0000u;

    /// <summary>Index of the first NaN or ±infinity in <paramref name="values"/>, or -1. Vectorised; reads each value once.</summary>
    public static int IndexOfFirst(ReadOnlySpan<float> values)
    {
        ReadOnlySpan<uint> bits = MemoryMarshal.Cast<float, uint>(values);
        int i = 0;
        if (Vector.IsHardwareAccelerated && bits.Length >= 4 * Vector<uint>.Count)
        {
            var mask = new Vector<uint>(ExponentMask);
            ReadOnlySpan<Vector<uint>> blocks = MemoryMarshal.Cast<uint, Vector<uint>>(bits);
            // Four vectors per step: any lane whose exponent is all ones makes the OR of the comparisons non-zero.
            int b = 0;
            for (; b + 4 <= blocks.Length; b += 4)
            {
                Vector<uint> hit = Vector.Equals(blocks[b] & mask, mask) | Vector.Equals(blocks[b + 1] & mask, mask)
                                 | Vector.Equals(blocks[b + 2] & mask, mask) | Vector.Equals(blocks[b + 3] & mask, mask);
                if (hit != Vector<uint>.Zero) break;
            }
            i = b * Vector<uint>.Count;
        }
        for (; i < bits.Length; i++)
            if ((bits[i] & ExponentMask) == ExponentMask) return i;
        return -1;
    }
}
