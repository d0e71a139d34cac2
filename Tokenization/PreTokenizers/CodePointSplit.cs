using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.PreTokenizers;

/// <summary>The char predicates Hugging Face's pre-tokenizers split on (each a Rust <c>Fn(char) -&gt; bool</c> pattern).</summary>
internal enum CodePointPredicate
{
    /// <summary>Rust <c>char::is_whitespace</c> (White_Space).</summary>
    Whitespace,
    /// <summary><c>is_punc</c> of punctuation.rs: ASCII punctuation or P* (unicode_categories, Unicode 8.0).</summary>
    Punctuation,
    /// <summary>Rust <c>char::is_numeric</c> (N*, Unicode 17.0).</summary>
    Numeric,
}

/// <summary>
/// Splits a piece with a char predicate as the Rust <c>Pattern for Fn(char) -&gt; bool</c> does: every matching code
/// point is a match segment of its own, each run of other code points one non-match segment. A lone surrogate is
/// read as U+FFFD (what a UTF-8 round trip makes of it).
/// </summary>
internal static class CodePointSplit
{
    public static void Split(PreTokenizedText input, int index, PreTokenizedText output, CodePointPredicate predicate, SplitBehavior behavior)
    {
        var splitter = new PieceSplitter(input, index, output, behavior);
        var text = input.Piece(index);
        int runStart = 0, i = 0;
        while (i < text.Length)
        {
            int cp = CodePointAt(text, i, out int width);
            if (Matches(predicate, cp))
            {
                if (runStart < i) splitter.Add(runStart, i, false);
                splitter.Add(i, i + width, true);
                runStart = i + width;
            }
            i += width;
        }
        if (runStart < text.Length) splitter.Add(runStart, text.Length, false);
        splitter.Finish();
    }

    public static bool Matches(CodePointPredicate predicate, int cp) => predicate switch
    {
        CodePointPredicate.Whitespace => (UnicodeTables.GetFlags(cp) & CharFlags.Whitespace) != 0,
        CodePointPredicate.Punctuation => (UnicodeTables.GetFlags(cp) & CharFlags.Punctuation) != 0,
        _ => UnicodeTables.IsNumeric(cp),
    };

    /// <summary>The code point at UTF-16 index <paramref name="i"/> (U+FFFD for a lone surrogate) and its UTF-16 length.</summary>
    public static int CodePointAt(ReadOnlySpan<char> text, int i, out int width)
    {
        char c = text[i];
        width = 1;
        if (!char.IsSurrogate(c)) return c;
        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(c, text[i + 1]);
        }
        return 0xFFFD;
    }
}
