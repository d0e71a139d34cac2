namespace BertSharp.Tokenization.Pipeline;

/// <summary>
/// Hugging Face's AddedVocabulary for the composed pipeline: tokens with normalized=false are matched in the raw
/// text before normalization, tokens with normalized=true in each normalized stretch (against their normalized
/// content); both leftmost-longest, with the Rust library's lstrip / rstrip / single_word rules
/// (added_vocabulary.rs <c>find_matches</c>). An added token found in the text is an ordinary token for the
/// special-tokens mask (0); its text is what it matched (e.g. " &lt;mask&gt;" after lstrip).
/// </summary>
internal sealed class AddedVocabulary
{
    private readonly AddedTokenMatcher _raw, _normalized;
    private readonly PipelineAddedToken[] _byId;   // indexed by id; null where no added token

    public AddedVocabulary(IReadOnlyList<PipelineAddedToken> tokens, Func<string, string> normalize, int size)
    {
        _byId = new PipelineAddedToken[size];
        foreach (var t in tokens) _byId[t.Id] = t;
        _raw = new AddedTokenMatcher(tokens.Where(t => !t.Normalized).Select(t => (t.Content, t.Id)));
        _normalized = new AddedTokenMatcher(tokens.Where(t => t.Normalized).Select(t => (normalize(t.Content), t.Id)));
    }

    public bool HasNormalized => !_normalized.IsEmpty;

    /// <summary>
    /// Cuts <paramref name="text"/> (original chars [0, text.Length)) by the
    /// raw added tokens: token pieces and text pieces (identity-aligned, origin = their start) into <paramref name="output"/>.
    /// A lone surrogate becomes U+FFFD aligned to its own unit.
    /// </summary>
    public void SplitRaw(ReadOnlySpan<char> text, PreTokenizedText output, string[] idToToken)
    {
        int last = 0, pos = 0;
        while (pos < text.Length && _raw.FindNext(text, pos, out int index, out int length, out int id))
        {
            pos = index + length;
            if (!Accept(text, id, last, ref index, ref length)) continue;
            if (index > last) AppendRawText(text, last, index, output);
            string content = idToToken[id];
            var matched = text.Slice(index, length);
            output.AddToken(id, index, index + length, matched.SequenceEqual(content) ? null : matched.ToString());
            last = pos = index + length;
        }
        if (last < text.Length || text.Length == 0) AppendRawText(text, last, text.Length, output);
    }

    /// <summary>
    /// Cuts normalized piece <paramref name="normalized"/> by the normalized added tokens into <paramref name="output"/>
    /// (token offsets through the alignments; text pieces keep their chars' alignments; origin as given).
    /// </summary>
    public void SplitNormalized(NormalizedText normalized, int origin, PreTokenizedText output, string[] idToToken)
    {
        var text = normalized.Span;
        int last = 0, pos = 0;
        if (!_normalized.IsEmpty)
        {
            while (pos < text.Length && _normalized.FindNext(text, pos, out int index, out int length, out int id))
            {
                pos = index + length;
                if (!Accept(text, id, last, ref index, ref length)) continue;
                if (index > last) AppendNormalized(normalized, last, index, origin, output);
                var matched = text.Slice(index, length);
                string content = idToToken[id];
                output.AddToken(id, normalized.Start[index], normalized.End[index + length - 1],
                    matched.SequenceEqual(content) ? null : matched.ToString());
                last = pos = index + length;
            }
        }
        AppendNormalized(normalized, last, text.Length, origin, output);
    }

    private static void AppendNormalized(NormalizedText normalized, int from, int to, int origin, PreTokenizedText output)
    {
        // The Rust slice's original_shift is where its first char came from in the original.
        output.BeginPiece(from < normalized.Length ? normalized.Start[from] : origin);
        output.AppendRange(normalized, from, to);
        output.EndPiece();
    }

    /// <summary>single_word / lstrip / rstrip of added_vocabulary.rs; false discards the match.</summary>
    private bool Accept(ReadOnlySpan<char> text, int id, int last, ref int index, ref int length)
    {
        var t = _byId[id];
        if (t is null) return true;
        int stop = index + length;
        if (t.SingleWord)
        {
            bool startSpace = index == 0 || !IsWordChar(text, index, before: true);
            bool stopSpace = stop == text.Length || !IsWordChar(text, stop, before: false);
            if (!startSpace || !stopSpace) return false;
        }
        int start = index;
        if (t.LStrip)
        {
            while (start > last && IsWhitespaceBefore(text, start, out int width)) start -= width;
        }
        if (t.RStrip)
        {
            while (stop < text.Length && IsWhitespaceAt(text, stop, out int width)) stop += width;
        }
        index = start; length = stop - start;
        return true;
    }

    private static bool IsWhitespaceBefore(ReadOnlySpan<char> text, int pos, out int width)
    {
        int cp = CodePointBefore(text, pos, out width);
        return (UnicodeTables.GetFlags(cp) & CharFlags.Whitespace) != 0;
    }

    private static bool IsWhitespaceAt(ReadOnlySpan<char> text, int pos, out int width)
    {
        int cp = CodePointAt(text, pos, out width);
        return (UnicodeTables.GetFlags(cp) & CharFlags.Whitespace) != 0;
    }

    /// <summary>Regex \w (Unicode): letters, marks, decimal digits, letter numbers, connector punctuation, ZWNJ/ZWJ.</summary>
    private static bool IsWordChar(ReadOnlySpan<char> text, int pos, bool before)
    {
        int cp = before ? CodePointBefore(text, pos, out _) : CodePointAt(text, pos, out _);
        if (cp is 0x200C or 0x200D) return true;
        var category = System.Globalization.CharUnicodeInfo.GetUnicodeCategory(cp);
        return category <= System.Globalization.UnicodeCategory.OtherLetter // Lu Ll Lt Lm Lo
            || category is System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.SpacingCombiningMark
                or System.Globalization.UnicodeCategory.EnclosingMark or System.Globalization.UnicodeCategory.DecimalDigitNumber
                or System.Globalization.UnicodeCategory.LetterNumber or System.Globalization.UnicodeCategory.ConnectorPunctuation;
    }

    internal static int CodePointAt(ReadOnlySpan<char> text, int pos, out int width)
    {
        char c = text[pos];
        if (char.IsHighSurrogate(c) && pos + 1 < text.Length && char.IsLowSurrogate(text[pos + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(c, text[pos + 1]);
        }
        width = 1;
        return char.IsSurrogate(c) ? 0xFFFD : c;
    }

    private static int CodePointBefore(ReadOnlySpan<char> text, int pos, out int width)
    {
        char c = text[pos - 1];
        if (char.IsLowSurrogate(c) && pos >= 2 && char.IsHighSurrogate(text[pos - 2]))
        {
            width = 2;
            return char.ConvertToUtf32(text[pos - 2], c);
        }
        width = 1;
        return char.IsSurrogate(c) ? 0xFFFD : c;
    }

    /// <summary>Raw text [from, to) as a piece, each char aligned to itself (a surrogate pair to both its units).</summary>
    private static void AppendRawText(ReadOnlySpan<char> text, int from, int to, PreTokenizedText output)
    {
        output.BeginPiece(from);
        for (int i = from; i < to; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < to && char.IsLowSurrogate(text[i + 1]))
            {
                output.Append(c, i, i + 2);
                output.Append(text[i + 1], i, i + 2);
                i++;
            }
            else output.Append(char.IsSurrogate(c) ? '\uFFFD' : c, i, i + 1);
        }
        output.EndPiece();
    }
}

/// <summary>An entry of tokenizer.json's added_tokens with every flag the Rust library honours.</summary>
internal sealed record PipelineAddedToken(string Content, int Id, bool Special, bool Normalized, bool LStrip, bool RStrip, bool SingleWord);
