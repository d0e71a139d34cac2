namespace BertSharp.Tokenization;

internal static partial class UnicodeTables
{
    /// <summary>Unicode 16.0 <c>\w</c> of the Rust regex crate (Whitespace pre-tokenizer); 0..0x10FFFF.</summary>
    internal static bool IsWordChar(int codePoint)
    {
        if (codePoint < 0x80) return (uint)(codePoint - '0') <= 9 || (uint)((codePoint | 0x20) - 'a') <= 25 || codePoint == '_';
        return InRanges(WordRanges, codePoint);
    }

    /// <summary>Rust <c>char::is_numeric</c> (General_Category N*, Unicode 17.0; Digits pre-tokenizer); 0..0x10FFFF.</summary>
    internal static bool IsNumeric(int codePoint)
    {
        if (codePoint < 0x80) return (uint)(codePoint - '0') <= 9;
        return InRanges(NumericRanges, codePoint);
    }

    /// <summary>Binary search in sorted inclusive [lo, hi] pairs.</summary>
    private static bool InRanges(ReadOnlySpan<int> ranges, int codePoint)
    {
        int lo = 0, hi = ranges.Length / 2 - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (codePoint < ranges[2 * mid]) hi = mid - 1;
            else if (codePoint > ranges[2 * mid + 1]) lo = mid + 1;
            else return true;
        }
        return false;
    }
}
