namespace BertSharp.Tokenization;

internal static partial class UnicodeTables
{
    /// <summary>The primary composite of <paramref name="first"/> + <paramref name="second"/> (Unicode 9.0, Hangul included), or -1.</summary>
    internal static int Compose(int first, int second)
    {
        if ((uint)(first - LBase) < 19 && (uint)(second - VBase) < VCount)
            return SBase + ((first - LBase) * VCount + (second - VBase)) * TCount;
        int s = first - SBase;
        if ((uint)s < SCount && s % TCount == 0 && (uint)(second - TBase - 1) < TCount - 1)
            return first + (second - TBase);
        int i = CompositionKeys.BinarySearch((long)first << 21 | (uint)second);
        return i < 0 ? -1 : CompositionValues[i];
    }

    /// <summary>Canonical combining class of any code point (0 for starters and lone surrogates).</summary>
    internal static int ClassOf(int codePoint) =>
        (uint)codePoint <= 0x10FFFF && (GetFlags(codePoint) & CharFlags.Combining) != 0 ? CombiningClass(codePoint) : 0;
}
