using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Normalizers;

/// <summary>
/// Hugging Face's NFD and NFKD normalizers (normalizers/unicode.rs → <c>NormalizedString::nfd</c> / <c>nfkd</c>, over
/// unicode-normalization-alignments 0.1.12, Unicode 9.0): full canonical (NFD) or compatibility (NFKD) decomposition,
/// then canonical ordering (each run of non-starters stably sorted by combining class). Alignment, as the Rust
/// <c>transform</c>: the k-th first part of a decomposition in the ordered output takes the span of the k-th input code
/// point (whichever moved there), any other part the span of the input code point so taken last. A code point's span
/// runs from its first UTF-16 char's start to its last one's end; a lone surrogate passes through unchanged.
/// </summary>
internal sealed class DecompositionNormalizer(bool compatibility) : INormalizer
{
    public static readonly DecompositionNormalizer Nfd = new(false);
    public static readonly DecompositionNormalizer Nfkd = new(true);

    public bool Compatibility { get; } = compatibility;

    public void Normalize(NormalizedText text, NormalizedText scratch)
    {
        scratch.Clear();
        scratch.EnsureCapacity(text.Length);
        Span<int> parts = stackalloc int[UnicodeTables.MaxCompatDecomposition];
        // The pending run of non-starters: code point and (class << 1 | first part) each.
        Span<int> runCodes = stackalloc int[32];
        Span<int> runKeys = stackalloc int[32];
        int runLength = 0;
        var state = new Aligner(text);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text.Chars[i];
            int width = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text.Chars[i + 1]) ? 2 : 1;
            int cp = width == 2 ? char.ConvertToUtf32(c, text.Chars[i + 1]) : c;
            i += width - 1;
            int n;
            if (char.IsSurrogate(c) && width == 1) { parts[0] = cp; n = 1; }
            else if (Compatibility) n = UnicodeTables.DecomposeCompatible(cp, parts);
            else if ((UnicodeTables.GetFlags(cp) & CharFlags.HasDecomposition) != 0) n = UnicodeTables.Decompose(cp, parts);
            else { parts[0] = cp; n = 1; }
            for (int k = 0; k < n; k++)
            {
                int part = parts[k];
                int ccc = (UnicodeTables.GetFlags(part) & CharFlags.Combining) != 0 ? UnicodeTables.CombiningClass(part) : 0;
                if (ccc == 0)
                {
                    for (int r = 0; r < runLength; r++) state.Emit(runCodes[r], (runKeys[r] & 1) != 0, scratch);
                    runLength = 0;
                    state.Emit(part, k == 0, scratch);
                    continue;
                }
                if (runLength == runCodes.Length)
                {
                    var biggerCodes = new int[runLength * 2];
                    var biggerKeys = new int[runLength * 2];
                    runCodes.CopyTo(biggerCodes);
                    runKeys.CopyTo(biggerKeys);
                    runCodes = biggerCodes;
                    runKeys = biggerKeys;
                }
                // Stable insertion: move left past marks of a higher class.
                int j = runLength++;
                while (j > 0 && runKeys[j - 1] >> 1 > ccc)
                {
                    runCodes[j] = runCodes[j - 1];
                    runKeys[j] = runKeys[j - 1];
                    j--;
                }
                runCodes[j] = part;
                runKeys[j] = ccc << 1 | (k == 0 ? 1 : 0);
            }
        }
        for (int r = 0; r < runLength; r++) state.Emit(runCodes[r], (runKeys[r] & 1) != 0, scratch);
        text.SwapWith(scratch);
    }

    /// <summary>Walks the input code points as first parts are emitted (the positional alignment).</summary>
    private struct Aligner(NormalizedText input)
    {
        private int _cursor, _start, _end;

        public void Emit(int codePoint, bool firstPart, NormalizedText output)
        {
            if (firstPart)
            {
                int i = _cursor;
                int width = char.IsHighSurrogate(input.Chars[i]) && i + 1 < input.Length && char.IsLowSurrogate(input.Chars[i + 1]) ? 2 : 1;
                _start = input.Start[i];
                _end = input.End[i + width - 1];
                _cursor += width;
            }
            output.Append(codePoint, _start, _end);
        }
    }
}
