namespace BertSharp.Tokenization.PreTokenizers;

/// <summary>
/// The GPT-2 pre-tokenizer pattern of Hugging Face's ByteLevel pre-tokenizer, matched by hand:
/// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>
/// with Oniguruma's semantics (leftmost match, first alternative that matches wins, greedy runs, contractions
/// case-sensitive). Every code point is in exactly one of L, N, \s or "other", so consecutive matches tile the text.
/// Positions are UTF-16 indices; a lone surrogate counts as U+FFFD (other).
/// </summary>
internal static class Gpt2Pattern
{
    /// <summary>End (exclusive) of the match that starts at <paramref name="start"/> (&lt; text.Length).</summary>
    public static int MatchEnd(ReadOnlySpan<char> text, int start)
    {
        char c = text[start];
        if (c == '\'' && start + 1 < text.Length)
        {
            char d = text[start + 1];
            if (d is 's' or 't' or 'm' or 'd') return start + 2;
            if (start + 2 < text.Length)
            {
                char e = text[start + 2];
                if ((d == 'r' && e == 'e') || (d == 'v' && e == 'e') || (d == 'l' && e == 'l')) return start + 3;
            }
        }
        if (c == ' ' && start + 1 < text.Length)
        {
            // " ?X+" for X in L, N, other: the space is taken when a run of X follows it.
            var next = ClassAt(text, start + 1, out _);
            if (next != RegexClass.Whitespace) return RunEnd(text, start + 1, next);
        }
        var cls = ClassAt(text, start, out _);
        if (cls != RegexClass.Whitespace) return RunEnd(text, start, cls);
        int end = RunEnd(text, start, RegexClass.Whitespace);
        // \s+(?!\S): at the end of the text the whole run; before a non-space, the run less its last char
        // (all White_Space code points are in the BMP) when that leaves one; else \s+ takes the whole run.
        if (end < text.Length && end - 1 > start) return end - 1;
        return end;
    }

    /// <summary>Writes the end of every match of the whole text into <paramref name="ends"/> (room for text.Length); returns the count.</summary>
    public static int Split(ReadOnlySpan<char> text, Span<int> ends)
    {
        int n = 0, pos = 0;
        while (pos < text.Length)
        {
            pos = MatchEnd(text, pos);
            ends[n++] = pos;
        }
        return n;
    }

    private static int RunEnd(ReadOnlySpan<char> text, int pos, RegexClass cls)
    {
        while (pos < text.Length)
        {
            if (ClassAt(text, pos, out int width) != cls) break;
            pos += width;
        }
        return pos;
    }

    /// <summary>Class of the code point at UTF-16 index <paramref name="i"/>; <paramref name="width"/> is its UTF-16 length.</summary>
    internal static RegexClass ClassAt(ReadOnlySpan<char> text, int i, out int width)
    {
        char c = text[i];
        width = 1;
        if (c < 0x80) return AsciiClasses[c];
        int cp = c;
        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            cp = char.ConvertToUtf32(c, text[i + 1]);
            width = 2;
        }
        return UnicodeTables.GetRegexClass(cp);
    }

    private static readonly RegexClass[] AsciiClasses = BuildAscii();

    private static RegexClass[] BuildAscii()
    {
        var table = new RegexClass[128];
        for (int c = 0; c < 128; c++) table[c] = UnicodeTables.GetRegexClass(c);
        return table;
    }
}
