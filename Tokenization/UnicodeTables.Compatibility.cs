namespace BertSharp.Tokenization;

internal static partial class UnicodeTables
{
    /// <summary>Longest full compatibility decomposition of one code point (U+FDFA).</summary>
    internal const int MaxCompatDecomposition = 18;

    /// <summary>
    /// Writes the full compatibility decomposition (NFKD, before canonical ordering; Unicode 9.0) of one code point;
    /// returns the count (at most <see cref="MaxCompatDecomposition"/>). Others are written unchanged.
    /// </summary>
    internal static int DecomposeCompatible(int codePoint, Span<int> destination)
    {
        if ((uint)(codePoint - SBase) < SCount) return Decompose(codePoint, destination);
        int i = CompatDecompositionKeys.BinarySearch(codePoint);
        if (i < 0) { destination[0] = codePoint; return 1; }
        var values = CompatDecompositionValues[CompatDecompositionOffsets[i]..CompatDecompositionOffsets[i + 1]];
        values.CopyTo(destination);
        return values.Length;
    }

    /// <summary>General_Category M (Mn, Mc, Me) of Unicode 9.0: unicode-normalization-alignments' <c>is_combining_mark</c>.</summary>
    internal static bool IsCombiningMark(int codePoint) => codePoint >= 0x300 && InRanges(CombiningMarkRanges, codePoint);
}
