using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Normalizers;

/// <summary>
/// Hugging Face's StripAccents normalizer (normalizers/strip.rs): drops every code point that
/// unicode-normalization-alignments' <c>is_combining_mark</c> calls a mark (General_Category M, Unicode 9.0 — not only
/// Mn as BertNormalizer's strip_accents); the rest keep their spans (Rust <c>filter</c>). It does not decompose:
/// tokenizer.json files put NFD or NFKD before it.
/// </summary>
internal sealed class StripAccentsNormalizer : INormalizer
{
    public static readonly StripAccentsNormalizer Instance = new();

    public void Normalize(NormalizedText text, NormalizedText scratch)
    {
        int w = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text.Chars[i];
            int width = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text.Chars[i + 1]) ? 2 : 1;
            int cp = width == 2 ? char.ConvertToUtf32(c, text.Chars[i + 1]) : c;
            if (!UnicodeTables.IsCombiningMark(cp))
            {
                for (int k = 0; k < width; k++)
                {
                    text.Chars[w] = text.Chars[i + k]; text.Start[w] = text.Start[i + k]; text.End[w] = text.End[i + k];
                    w++;
                }
            }
            i += width - 1;
        }
        text.Length = w;
    }
}
