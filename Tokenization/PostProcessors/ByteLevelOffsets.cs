namespace BertSharp.Tokenization.PostProcessors;

/// <summary>
/// Hugging Face's <c>process_offsets</c> (ByteLevel trim_offsets, also used by RobertaProcessing): a token whose text
/// starts (ends) with 'Ġ' or White_Space chars has its span moved past that many code points, never past its other
/// end; a leading single space is kept on the first token when <c>add_prefix_space</c> (the space was added).
/// Spans are UTF-16 indices into the sequence's original string, but the arithmetic is in code points, as in Rust
/// (whose offsets are chars at that point).
/// </summary>
internal static class ByteLevelOffsets
{
    private const char SpaceChar = 'Ġ';

    public static void Trim(ReadOnlySpan<char> original, ReadOnlySpan<char> token, bool isFirstToken, bool addPrefixSpace,
        ref int start, ref int end)
    {
        int leading = 0;
        while (leading < token.Length && IsSpace(token[leading])) leading++;
        int trailing = 0;
        while (trailing < token.Length && IsSpace(token[token.Length - 1 - trailing])) trailing++;
        if (leading == 0 && trailing == 0) return;
        if (leading > 0)
        {
            bool isFirst = isFirstToken || start == 0;
            if (isFirst && addPrefixSpace && leading == 1) leading = 0;
            int s = start;
            for (int k = 0; k < leading && s < end; k++) s += Width(original, s);
            start = Math.Min(s, end);
        }
        if (trailing > 0)
        {
            int e = end, k = 0;
            for (; k < trailing && e > 0; k++) e -= e >= 2 && char.IsLowSurrogate(original[e - 1]) && char.IsHighSurrogate(original[e - 2]) ? 2 : 1;
            if (k == trailing) end = Math.Max(e, start);
        }
    }

    /// <summary>Trims tokens[start .. start + length) of one sequence; the first of them is the encoding's first token.</summary>
    public static void TrimAll(ReadOnlySpan<char> original, TokenBuffer tokens, int start, int length, string[] idToToken, bool addPrefixSpace)
    {
        for (int i = start; i < start + length; i++)
        {
            string token = tokens.Texts[i] ?? idToToken[tokens.Ids[i]];
            Trim(original, token, i == start, addPrefixSpace, ref tokens.Start[i], ref tokens.End[i]);
        }
    }

    private static bool IsSpace(char c) => c == SpaceChar || (UnicodeTables.GetFlags(c) & CharFlags.Whitespace) != 0;

    private static int Width(ReadOnlySpan<char> s, int i) =>
        i + 1 < s.Length && char.IsHighSurrogate(s[i]) && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
}
