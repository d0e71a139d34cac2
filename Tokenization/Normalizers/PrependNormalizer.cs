using System.Text.Json;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Normalizers;

/// <summary>
/// Hugging Face's Prepend normalizer: puts <c>prepend</c> in front of a non-empty text, every added char aligned to
/// the first char (Rust <c>NormalizedString::prepend</c>).
/// </summary>
internal sealed class PrependNormalizer(string prepend) : INormalizer
{
    public void Normalize(NormalizedText text, NormalizedText scratch)
    {
        if (text.Length == 0 || prepend.Length == 0) return;
        scratch.Clear();
        scratch.EnsureCapacity(text.Length + prepend.Length);
        int start = text.Start[0], end = text.End[0];
        foreach (char c in prepend) scratch.AppendChar(c, start, end);
        for (int i = 0; i < text.Length; i++) scratch.AppendChar(text.Chars[i], text.Start[i], text.End[i]);
        text.SwapWith(scratch);
    }

    public static PrependNormalizer FromJson(JsonFields f, JsonElement n, string path)
    {
        f.RejectUnknown(n, path, "type", "prepend");
        return new PrependNormalizer(f.String(n, path, "prepend") ?? throw f.Error(JsonFields.Join(path, "prepend"), "is missing"));
    }
}
