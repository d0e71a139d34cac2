using System.Text;
using System.Text.Json;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Normalizers;

/// <summary>
/// Hugging Face's Precompiled normalizer (normalizers/precompiled.rs) over a SentencePiece charsmap, with the Rust
/// library's grapheme rule: for each extended grapheme cluster under 6 UTF-8 bytes whose prefix is in the map, the
/// whole cluster becomes the replacement of the shortest matching prefix; otherwise each code point is mapped on
/// its own. Alignments follow the Rust code exactly: it records (char, change) pairs (replace(): equal-length parts
/// char for char; extra chars inserted after; a shorter replacement folds the removal into its last char — or, when
/// the replacement is empty, into the previous pair) and runs <c>NormalizedString::transform</c> on them, so the
/// same quirks (e.g. a removal at the very start shifts later alignments) come out.
/// </summary>
internal sealed class PrecompiledNormalizer(PrecompiledCharsMap map) : INormalizer
{
    [ThreadStatic] private static int[]? t_cps, t_changes, t_newCps, t_starts, t_ends;

    public void Normalize(NormalizedText text, NormalizedText scratch)
    {
        if (text.Length == 0) return;
        // Code points of the text with their alignments.
        int n = 0;
        Ensure(ref t_cps, text.Length); Ensure(ref t_starts, text.Length); Ensure(ref t_ends, text.Length);
        int[] cps = t_cps!, starts = t_starts!, ends = t_ends!;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text.Chars[i];
            starts[n] = text.Start[i]; ends[n] = text.End[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text.Chars[i + 1])) { cps[n++] = char.ConvertToUtf32(c, text.Chars[i + 1]); i++; }
            else cps[n++] = char.IsSurrogate(c) ? 0xFFFD : c;
        }
        var all = cps.AsSpan(0, n);

        // Transformations (char, change) as precompiled.rs builds them.
        Ensure(ref t_newCps, 4 * n + 16); Ensure(ref t_changes, 4 * n + 16);
        int[] newCps = t_newCps!, changes = t_changes!;
        int count = 0;
        bool modified = false;
        Span<byte> utf8 = stackalloc byte[8];
        int pos = 0;
        while (pos < n)
        {
            int end = GraphemeBreak.ClusterEnd(all, pos);
            int bytes = 0;
            for (int k = pos; k < end && bytes < 6; k++) bytes += Utf8Length(all[k]);
            if (bytes < 6)
            {
                int written = 0;
                for (int k = pos; k < end; k++) written += new Rune(all[k]).EncodeToUtf8(utf8[written..]);
                if (map.Lookup(utf8[..written]) is { } norm)
                {
                    modified = true;
                    Replace(end - pos, norm, newCps, changes, ref count);
                    pos = end;
                    continue;
                }
            }
            for (int k = pos; k < end; k++)
            {
                int written = new Rune(all[k]).EncodeToUtf8(utf8);
                if (map.Lookup(utf8[..written]) is { } norm)
                {
                    modified = true;
                    Replace(1, norm, newCps, changes, ref count);
                }
                else { newCps[count] = all[k]; changes[count++] = 0; }
            }
            pos = end;
        }
        if (!modified) return;

        // NormalizedString::transform over the code points.
        scratch.Clear();
        scratch.EnsureCapacity(2 * count);
        int p = 0;
        for (int t = 0; t < count; t++)
        {
            int change = changes[t];
            int s, e;
            if (change > 0)
            {
                if (p >= 1) { s = starts[p - 1]; e = ends[p - 1]; }
                else { s = starts[0]; e = starts[0]; }
            }
            else
            {
                int q = Math.Min(p, n - 1);
                s = starts[q]; e = ends[q];
                p += 1 - change;
            }
            scratch.Append(newCps[t], s, e);
        }
        text.SwapWith(scratch);
    }

    /// <summary>precompiled.rs replace(): the pairs for <paramref name="oldCount"/> code points becoming <paramref name="norm"/>.</summary>
    private static void Replace(int oldCount, int[] norm, int[] newCps, int[] changes, ref int count)
    {
        int diff = norm.Length - oldCount;
        foreach (int cp in norm) { newCps[count] = cp; changes[count++] = 0; }
        if (diff > 0)
        {
            for (int k = 0; k < diff; k++) changes[count - 1 - k] = 1;
        }
        else if (diff < 0 && count > 0)
        {
            // The last pair recorded so far: this replacement's last char, or the previous one's when it is empty.
            changes[count - 1] += diff;
        }
    }

    private static int Utf8Length(int cp) => cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;

    private static void Ensure(ref int[]? buffer, int n)
    {
        if (buffer is null || buffer.Length < n) buffer = new int[Math.Max(n, 256)];
    }

    public static PrecompiledNormalizer FromJson(JsonFields f, JsonElement n, string path)
    {
        f.RejectUnknown(n, path, "type", "precompiled_charsmap");
        string field = JsonFields.Join(path, "precompiled_charsmap");
        string b64 = f.String(n, path, "precompiled_charsmap") ?? throw f.Error(field, "is missing");
        byte[] data;
        try { data = Convert.FromBase64String(b64); }
        catch (FormatException) { throw f.Error(field, "is not valid base64"); }
        var localF = f;
        return new PrecompiledNormalizer(new PrecompiledCharsMap(data, problem => localF.Error(field, problem)));
    }
}
