using System.Buffers;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Normalizers;

/// <summary>
/// Hugging Face's NFC and NFKC normalizers (<c>NormalizedString::nfc</c> / <c>nfkc</c> over
/// unicode-normalization-alignments 0.1.12, Unicode 9.0). The crate's stream of (char, change) is reproduced step by
/// step: decomposition (first part 0, other parts +1), canonical ordering (changes travel with their chars), then its
/// recomposition state machine (a composite's change is the composee's + the mark's - 1; blocked marks are buffered
/// and follow the composee). Alignment is Rust's <c>transform</c>: a char with change &lt;= 0 takes the span of the next
/// input code point and consumes 1 - change of them; a char with change &gt; 0 takes the span of the last consumed one.
/// </summary>
internal sealed class CompositionNormalizer(bool compatibility) : INormalizer
{
    public static readonly CompositionNormalizer Nfc = new(false);
    public static readonly CompositionNormalizer Nfkc = new(true);

    public bool Compatibility { get; } = compatibility;

    public void Normalize(NormalizedText text, NormalizedText scratch)
    {
        // Decomposed stream: grown on demand (a char decomposes to at most 18 code points, U+FDFA).
        int capacity = text.Length + UnicodeTables.MaxCompatDecomposition + 16;
        int[] codes = ArrayPool<int>.Shared.Rent(capacity), changes = ArrayPool<int>.Shared.Rent(capacity);
        int[]? outCodes = null, outChanges = null;
        try
        {
            int n = Decompose(text, ref codes, ref changes);
            outCodes = ArrayPool<int>.Shared.Rent(n + 1);
            outChanges = ArrayPool<int>.Shared.Rent(n + 1);
            int m = Recompose(codes, changes, n, outCodes, outChanges);
            Align(text, outCodes, outChanges, m, scratch);
            text.SwapWith(scratch);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(codes); ArrayPool<int>.Shared.Return(changes);
            if (outCodes is not null) ArrayPool<int>.Shared.Return(outCodes);
            if (outChanges is not null) ArrayPool<int>.Shared.Return(outChanges);
        }
    }

    private int Decompose(NormalizedText text, ref int[] codes, ref int[] changes)
    {
        Span<int> parts = stackalloc int[UnicodeTables.MaxCompatDecomposition];
        int count = 0;
        for (int i = 0; i < text.Length; i++)
        {
            int cp = CodePointAt(text, i, out int width);
            i += width - 1;
            int n;
            if (char.IsSurrogate(text.Chars[i]) && width == 1) { parts[0] = cp; n = 1; }
            else if (Compatibility) n = UnicodeTables.DecomposeCompatible(cp, parts);
            else if ((UnicodeTables.GetFlags(cp) & CharFlags.HasDecomposition) != 0) n = UnicodeTables.Decompose(cp, parts);
            else { parts[0] = cp; n = 1; }
            if (count + n > codes.Length)
            {
                Grow(ref codes, count);
                Grow(ref changes, count);
            }
            for (int k = 0; k < n; k++)
            {
                int part = parts[k], ccc = UnicodeTables.ClassOf(part);
                int j = count++;
                // Canonical ordering: a mark moves left past marks of a higher class (stable).
                while (ccc != 0 && j > 0 && UnicodeTables.ClassOf(codes[j - 1]) > ccc)
                {
                    codes[j] = codes[j - 1]; changes[j] = changes[j - 1];
                    j--;
                }
                codes[j] = part; changes[j] = k == 0 ? 0 : 1;
            }
        }
        return count;
    }

    private static void Grow(ref int[] array, int used)
    {
        int[] bigger = ArrayPool<int>.Shared.Rent(array.Length * 2 + UnicodeTables.MaxCompatDecomposition);
        array.AsSpan(0, used).CopyTo(bigger);
        ArrayPool<int>.Shared.Return(array);
        array = bigger;
    }

    /// <summary>unicode-normalization-alignments' <c>Recompositions::next</c>, as one loop.</summary>
    private static int Recompose(int[] codes, int[] changes, int n, int[] outCodes, int[] outChanges)
    {
        int m = 0;
        bool hasComposee = false;
        int composee = 0, composeeChange = 0, lastClass = -1;
        // The buffer of blocked or uncomposable marks lives in codes/changes themselves, behind the read index.
        int bufferStart = 0, bufferLength = 0;
        for (int r = 0; r < n; r++)
        {
            int ch = codes[r], change = changes[r], cls = UnicodeTables.ClassOf(ch);
            if (!hasComposee)
            {
                if (cls != 0) { outCodes[m] = ch; outChanges[m++] = change; continue; }
                hasComposee = true; composee = ch; composeeChange = change;
                continue;
            }
            if (lastClass < 0)
            {
                int composite = UnicodeTables.Compose(composee, ch);
                if (composite >= 0) { composee = composite; composeeChange += change - 1; continue; }
                if (cls == 0)
                {
                    outCodes[m] = composee; outChanges[m++] = composeeChange;
                    composee = ch; composeeChange = change;
                    continue;
                }
                bufferStart = r; bufferLength = 0;
                Push(codes, changes, bufferStart, ref bufferLength, ch, change);
                lastClass = cls;
            }
            else
            {
                if (lastClass >= cls)
                {
                    if (cls == 0)
                    {
                        outCodes[m] = composee; outChanges[m++] = composeeChange;
                        for (int b = 0; b < bufferLength; b++) { outCodes[m] = codes[bufferStart + b]; outChanges[m++] = changes[bufferStart + b]; }
                        bufferLength = 0;
                        composee = ch; composeeChange = change; lastClass = -1;
                        continue;
                    }
                    Push(codes, changes, bufferStart, ref bufferLength, ch, change);
                    lastClass = cls;
                    continue;
                }
                int composite = UnicodeTables.Compose(composee, ch);
                if (composite >= 0) { composee = composite; composeeChange += change - 1; continue; }
                Push(codes, changes, bufferStart, ref bufferLength, ch, change);
                lastClass = cls;
            }
        }
        if (hasComposee) { outCodes[m] = composee; outChanges[m++] = composeeChange; }
        for (int b = 0; b < bufferLength; b++) { outCodes[m] = codes[bufferStart + b]; outChanges[m++] = changes[bufferStart + b]; }
        return m;
    }

    // The buffer only grows while marks are read, so its slots [bufferStart, bufferStart + length) are at or behind the read index.
    private static void Push(int[] codes, int[] changes, int bufferStart, ref int length, int ch, int change)
    {
        codes[bufferStart + length] = ch; changes[bufferStart + length] = change;
        length++;
    }

    private static void Align(NormalizedText text, int[] outCodes, int[] outChanges, int m, NormalizedText output)
    {
        output.Clear();
        output.EnsureCapacity(m * 2);
        int cursor = 0, lastStart = 0, lastEnd = 0;
        for (int k = 0; k < m; k++)
        {
            int change = outChanges[k];
            if (change > 0) { output.Append(outCodes[k], lastStart, lastEnd); continue; }
            int start = 0, end = 0;
            for (int consumed = 0; consumed < 1 - change && cursor < text.Length; consumed++)
            {
                CodePointAt(text, cursor, out int width);
                if (consumed == 0) start = text.Start[cursor];
                lastStart = text.Start[cursor];
                lastEnd = text.End[cursor + width - 1];
                if (consumed == 0) end = lastEnd;
                cursor += width;
            }
            output.Append(outCodes[k], start, end);
        }
    }

    private static int CodePointAt(NormalizedText text, int i, out int width)
    {
        char c = text.Chars[i];
        width = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text.Chars[i + 1]) ? 2 : 1;
        return width == 2 ? char.ConvertToUtf32(c, text.Chars[i + 1]) : c;
    }
}
