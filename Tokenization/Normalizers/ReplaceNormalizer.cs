using System.Text.Json;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Normalizers;

/// <summary>
/// Hugging Face's Replace normalizer (Rust <c>NormalizedString::replace</c>): each match of the pattern becomes
/// <c>content</c>, every char of which is aligned to the last char of the match; other chars keep their alignments.
/// </summary>
internal sealed class ReplaceNormalizer(ReplacePattern pattern, string content) : INormalizer
{
    public void Normalize(NormalizedText text, NormalizedText scratch)
    {
        var span = text.Span;
        if (!pattern.FindNext(span, 0, out int start, out int length)) return;
        scratch.Clear();
        scratch.EnsureCapacity(text.Length + content.Length);
        int last = 0;
        while (true)
        {
            for (int i = last; i < start; i++) scratch.AppendChar(text.Chars[i], text.Start[i], text.End[i]);
            int end = start + length;
            int alignStart = text.Start[end - 1], alignEnd = text.End[end - 1];
            foreach (char c in content) scratch.AppendChar(c, alignStart, alignEnd);
            last = end;
            if (last >= span.Length || !pattern.FindNext(span, last, out start, out length)) break;
        }
        for (int i = last; i < text.Length; i++) scratch.AppendChar(text.Chars[i], text.Start[i], text.End[i]);
        text.SwapWith(scratch);
    }

    public static ReplaceNormalizer FromJson(JsonFields f, JsonElement n, string path)
    {
        f.RejectUnknown(n, path, "type", "pattern", "content");
        if (!f.TryGet(n, "pattern", out var p)) throw f.Error(JsonFields.Join(path, "pattern"), "is missing");
        var pattern = ReplacePattern.FromJson(f, p, JsonFields.Join(path, "pattern"));
        return new ReplaceNormalizer(pattern, f.String(n, path, "content") ?? throw f.Error(JsonFields.Join(path, "content"), "is missing"));
    }
}
