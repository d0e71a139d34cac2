namespace BertSharp.Tokenization;

/// <summary>
/// Hugging Face's BertNormalizer, stage by stage in the Rust library's order:
/// clean_text -> handle_chinese_chars -> strip_accents (NFD, drop Mn) -> lowercase (per code point, full mapping).
/// Output keeps, per normalized char, the original UTF-16 span it came from (<see cref="NormalizedText"/>).
/// A lone surrogate in the input is treated as U+FFFD (as a UTF-8 round trip would make it), so clean_text deletes it.
/// </summary>
internal sealed class BertNormalizer
{
    public bool CleanText { get; }
    public bool HandleChineseChars { get; }
    /// <summary>Resolved: tokenizer.json's null means "same as lowercase".</summary>
    public bool StripAccents { get; }
    public bool Lowercase { get; }

    // ASCII fast path: what each ASCII char becomes; Remove = deleted.
    private const char Remove = '\uFFFF';
    private readonly char[] _asciiMap = new char[128];

    public BertNormalizer(bool cleanText, bool handleChineseChars, bool? stripAccents, bool lowercase)
    {
        CleanText = cleanText;
        HandleChineseChars = handleChineseChars;
        StripAccents = stripAccents ?? lowercase;
        Lowercase = lowercase;
        for (int c = 0; c < 128; c++)
        {
            char m = (char)c;
            var flags = UnicodeTables.GetFlags(c);
            if (cleanText && (flags & CharFlags.CleanRemoves) != 0) m = Remove;
            else if (cleanText && (flags & CharFlags.Whitespace) != 0) m = ' ';
            else if (lowercase && c is >= 'A' and <= 'Z') m = (char)(c + 32);
            _asciiMap[c] = m;
        }
    }

    /// <summary>What an ASCII char becomes: itself, lowercased, ' ', or null when clean_text deletes it.</summary>
    internal char? MapAscii(char c) => _asciiMap[c] == Remove ? null : _asciiMap[c];

    /// <summary>
    /// Normalizes <paramref name="text"/> (which starts at UTF-16 index <paramref name="offset"/> of the original
    /// string) and appends the result to <paramref name="output"/>.
    /// </summary>
    public void Normalize(ReadOnlySpan<char> text, int offset, NormalizedText output, NormalizerScratch scratch)
    {
        output.EnsureCapacity(output.Length + text.Length);
        int i = 0;
        while (i < text.Length)
        {
            // ASCII chars are NFD starters untouched by CJK handling and accent stripping, so runs of them can take
            // the fast path while non-ASCII runs go through the stages; no stage looks across a kept ASCII char.
            // One that clean_text deletes is invisible to NFD (marks on either side of it are one run), so it stays
            // inside the non-ASCII run.
            int asciiEnd = text[i..].IndexOfAnyExceptInRange('\0', '\x7f');
            asciiEnd = asciiEnd < 0 ? text.Length : i + asciiEnd;
            NormalizeAscii(text[i..asciiEnd], offset + i, output);
            i = asciiEnd;
            if (i == text.Length) break;
            int otherEnd = i;
            while (true)
            {
                int next = text[otherEnd..].IndexOfAnyInRange('\0', '\x7f');
                if (next < 0) { otherEnd = text.Length; break; }
                otherEnd += next;
                while (otherEnd < text.Length && text[otherEnd] < 128 && _asciiMap[text[otherEnd]] == Remove) otherEnd++;
                if (otherEnd == text.Length || text[otherEnd] < 128) break;
            }
            NormalizeUnicode(text[i..otherEnd], offset + i, output, scratch);
            i = otherEnd;
        }
    }

    private void NormalizeAscii(ReadOnlySpan<char> text, int offset, NormalizedText output)
    {
        output.EnsureCapacity(output.Length + text.Length);
        char[] chars = output.Chars; int[] starts = output.Start; int[] ends = output.End;
        int n = output.Length;
        char[] map = _asciiMap;
        for (int i = 0; i < text.Length; i++)
        {
            char m = map[text[i]];
            if (m == Remove) continue;
            chars[n] = m; starts[n] = offset + i; ends[n] = offset + i + 1; n++;
        }
        output.Length = n;
    }

    /// <summary>The reference path: each stage reads one code point buffer and writes the other.</summary>
    internal void NormalizeStaged(ReadOnlySpan<char> text, int offset, NormalizedText output, NormalizerScratch scratch)
    {
        CodePointBuffer a = scratch.A, b = scratch.B;
        Decode(text, offset, a);
        if (CleanText) { DoCleanText(a, b); (a, b) = (b, a); }
        if (HandleChineseChars) { DoHandleChineseChars(a, b); (a, b) = (b, a); }
        if (StripAccents) { DoStripAccents(a, b, scratch.CombiningClasses); (a, b) = (b, a); }
        if (Lowercase) { DoLowercase(a, b); (a, b) = (b, a); }
        for (int i = 0; i < a.Count; i++) output.Append(a.CodePoints[i], a.Start[i], a.End[i]);
    }

    /// <summary>
    /// The same stages fused into one pass over the code points (a property test compares it with
    /// <see cref="NormalizeStaged"/>). Canonical ordering only ever moves marks within a run of non-starters, so
    /// with strip_accents such a run is held back until the next starter, sorted, stripped of Mn, then lowercased.
    /// </summary>
    private void NormalizeUnicode(ReadOnlySpan<char> text, int offset, NormalizedText output, NormalizerScratch scratch)
    {
        scratch.A.Clear();
        scratch.CombiningClasses.Clear();
        scratch.Sources.Clear();
        scratch.SourceHead = 0;
        for (int i = 0; i < text.Length; i++)
        {
            int start = offset + i;
            char c = text[i];
            int cp = c;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) cp = char.ConvertToUtf32(c, text[++i]);
            else if (char.IsSurrogate(c)) cp = 0xFFFD;
            int end = offset + i + 1;
            var flags = UnicodeTables.GetFlags(cp);
            if (CleanText)
            {
                if ((flags & CharFlags.CleanRemoves) != 0) continue;
                if ((flags & CharFlags.Whitespace) != 0) { cp = ' '; flags = UnicodeTables.GetFlags(' '); }
            }
            if (HandleChineseChars && (flags & CharFlags.Chinese) != 0)
            {
                EmitDecomposed(' ', start, end, output, scratch);
                EmitDecomposed(cp, start, end, output, scratch);
                EmitDecomposed(' ', start, end, output, scratch);
            }
            else EmitDecomposed(cp, start, end, output, scratch);
        }
        FlushRun(output, scratch);
    }

    /// <summary>
    /// strip_accents stage for one code point: NFD parts go out (starters) or into the pending run (marks).
    /// Alignment follows the Rust library (NormalizedString::transform over unicode-normalization-alignments' NFD):
    /// the k-th output char that is the first part of a decomposition takes the span of the k-th input char, whichever
    /// char canonical ordering moved there; any other part takes the span of the input char taken last.
    /// </summary>
    private void EmitDecomposed(int cp, int start, int end, NormalizedText output, NormalizerScratch scratch)
    {
        if (!StripAccents) { EmitLowercased(cp, start, end, output); return; }
        scratch.Sources.Add(cp, start, end);
        Span<int> parts = stackalloc int[4];
        int n = 1;
        parts[0] = cp;
        if ((UnicodeTables.GetFlags(cp) & CharFlags.HasDecomposition) != 0) n = UnicodeTables.Decompose(cp, parts);
        for (int k = 0; k < n; k++)
        {
            int part = parts[k];
            var flags = UnicodeTables.GetFlags(part);
            int ccc = (flags & CharFlags.Combining) != 0 ? UnicodeTables.CombiningClass(part) : 0;
            if (ccc == 0)
            {
                FlushRun(output, scratch);
                if (k == 0) scratch.TakeSource();
                if ((flags & CharFlags.NonspacingMark) == 0) EmitLowercased(part, scratch.LastStart, scratch.LastEnd, output);
                continue;
            }
            // Stable insertion by combining class (canonical ordering); spans are assigned when the run is flushed.
            var run = scratch.A;
            var classes = scratch.CombiningClasses;
            run.Add(part, 0, 0);
            classes.Add(ccc << 1 | (k == 0 ? 1 : 0));
            for (int j = run.Count - 1; j > 0 && classes[j - 1] >> 1 > ccc; j--)
            {
                (run.CodePoints[j - 1], run.CodePoints[j]) = (run.CodePoints[j], run.CodePoints[j - 1]);
                (classes[j - 1], classes[j]) = (classes[j], classes[j - 1]);
            }
        }
    }

    private void FlushRun(NormalizedText output, NormalizerScratch scratch)
    {
        var run = scratch.A;
        var classes = scratch.CombiningClasses;
        for (int j = 0; j < run.Count; j++)
        {
            if ((classes[j] & 1) != 0) scratch.TakeSource();
            int cp = run.CodePoints[j];
            if ((UnicodeTables.GetFlags(cp) & CharFlags.NonspacingMark) == 0) EmitLowercased(cp, scratch.LastStart, scratch.LastEnd, output);
        }
        run.Clear();
        classes.Clear();
    }

    private void EmitLowercased(int cp, int start, int end, NormalizedText output)
    {
        if (Lowercase && (UnicodeTables.GetFlags(cp) & CharFlags.HasLowercase) != 0)
        {
            Span<int> lower = stackalloc int[3];
            int n = UnicodeTables.ToLower(cp, lower);
            for (int k = 0; k < n; k++) output.Append(lower[k], start, end);
        }
        else output.Append(cp, start, end);
    }

    /// <summary>UTF-16 -> code points with spans; a lone surrogate becomes U+FFFD.</summary>
    internal static void Decode(ReadOnlySpan<char> text, int offset, CodePointBuffer output)
    {
        output.Clear();
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                output.Add(char.ConvertToUtf32(c, text[i + 1]), offset + i, offset + i + 2);
                i++;
            }
            else output.Add(char.IsSurrogate(c) ? 0xFFFD : c, offset + i, offset + i + 1);
        }
    }

    /// <summary>Deletes U+0000, U+FFFD and Cc/Cf/Co (except \t \n \r); White_Space becomes ' '.</summary>
    internal static void DoCleanText(CodePointBuffer input, CodePointBuffer output)
    {
        output.Clear();
        for (int i = 0; i < input.Count; i++)
        {
            int cp = input.CodePoints[i];
            var flags = UnicodeTables.GetFlags(cp);
            if ((flags & CharFlags.CleanRemoves) != 0) continue;
            output.Add((flags & CharFlags.Whitespace) != 0 ? ' ' : cp, input.Start[i], input.End[i]);
        }
    }

    /// <summary>Puts a space on each side of every CJK ideograph (the exact ranges of bert.rs).</summary>
    internal static void DoHandleChineseChars(CodePointBuffer input, CodePointBuffer output)
    {
        output.Clear();
        for (int i = 0; i < input.Count; i++)
        {
            int cp = input.CodePoints[i];
            if ((UnicodeTables.GetFlags(cp) & CharFlags.Chinese) != 0)
            {
                output.Add(' ', input.Start[i], input.End[i]);
                output.Add(cp, input.Start[i], input.End[i]);
                output.Add(' ', input.Start[i], input.End[i]);
            }
            else output.Add(cp, input.Start[i], input.End[i]);
        }
    }

    /// <summary>
    /// NFD (full canonical decomposition + canonical ordering), then drops category Mn. Spans are assigned by position
    /// as the Rust library does: the k-th first part of a decomposition in the ordered output takes the span of the
    /// k-th input char, any other part the span of the last input char so taken.
    /// </summary>
    internal static void DoStripAccents(CodePointBuffer input, CodePointBuffer output, List<int> classes)
    {
        // Decompose into output with (combining class << 1 | first part) beside each code point.
        output.Clear();
        classes.Clear();
        Span<int> parts = stackalloc int[4];
        for (int i = 0; i < input.Count; i++)
        {
            int cp = input.CodePoints[i];
            var flags = UnicodeTables.GetFlags(cp);
            int n = 1;
            if ((flags & CharFlags.HasDecomposition) != 0) n = UnicodeTables.Decompose(cp, parts);
            else parts[0] = cp;
            for (int k = 0; k < n; k++)
            {
                int part = parts[k];
                int ccc = (UnicodeTables.GetFlags(part) & CharFlags.Combining) != 0 ? UnicodeTables.CombiningClass(part) : 0;
                // Canonical ordering: a mark moves left past marks of a higher class (stable insertion sort).
                int j = output.Count;
                output.Add(part, 0, 0);
                classes.Add(ccc << 1 | (k == 0 ? 1 : 0));
                while (ccc != 0 && j > 0 && classes[j - 1] >> 1 > ccc)
                {
                    (output.CodePoints[j - 1], output.CodePoints[j]) = (output.CodePoints[j], output.CodePoints[j - 1]);
                    (classes[j - 1], classes[j]) = (classes[j], classes[j - 1]);
                    j--;
                }
            }
        }
        // Positional alignment, then drop nonspacing marks, compacting in place.
        int source = -1, w = 0;
        for (int r = 0; r < output.Count; r++)
        {
            if ((classes[r] & 1) != 0) source++;
            if ((UnicodeTables.GetFlags(output.CodePoints[r]) & CharFlags.NonspacingMark) != 0) continue;
            output.CodePoints[w] = output.CodePoints[r];
            output.Start[w] = source < 0 ? 0 : input.Start[source];
            output.End[w] = source < 0 ? 0 : input.End[source];
            w++;
        }
        output.Count = w;
    }

    /// <summary>Lowercases each code point on its own (no final-sigma rule; U+0130 -> i + U+0307).</summary>
    internal static void DoLowercase(CodePointBuffer input, CodePointBuffer output)
    {
        output.Clear();
        Span<int> parts = stackalloc int[3];
        for (int i = 0; i < input.Count; i++)
        {
            int cp = input.CodePoints[i];
            if ((UnicodeTables.GetFlags(cp) & CharFlags.HasLowercase) == 0) { output.Add(cp, input.Start[i], input.End[i]); continue; }
            int n = UnicodeTables.ToLower(cp, parts);
            for (int k = 0; k < n; k++) output.Add(parts[k], input.Start[i], input.End[i]);
        }
    }

    /// <summary>Convenience for tests and added-token contents: the normalized string.</summary>
    internal string Normalize(string text)
    {
        var output = new NormalizedText();
        Normalize(text, 0, output, new NormalizerScratch());
        return new string(output.Span);
    }
}
