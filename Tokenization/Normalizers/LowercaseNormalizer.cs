using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Normalizers;

/// <summary>
/// Hugging Face's Lowercase normalizer: Rust <c>char::to_lowercase</c> per code point (generated Unicode 17 tables,
/// no culture, no final-sigma rule); every char of a multi-char lowercase keeps the source char's span.
/// </summary>
internal sealed class LowercaseNormalizer : INormalizer
{
    public static readonly LowercaseNormalizer Instance = new();

    public void Normalize(NormalizedText text, NormalizedText scratch)
    {
        scratch.Clear();
        scratch.EnsureCapacity(text.Length);
        Span<int> parts = stackalloc int[3];
        for (int i = 0; i < text.Length; i++)
        {
            char c = text.Chars[i];
            int width = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text.Chars[i + 1]) ? 2 : 1;
            int cp = width == 2 ? char.ConvertToUtf32(c, text.Chars[i + 1]) : c;
            int start = text.Start[i], end = text.End[i];
            if (char.IsSurrogate(c) && width == 1 || (UnicodeTables.GetFlags(cp) & CharFlags.HasLowercase) == 0)
            {
                for (int k = 0; k < width; k++) scratch.AppendChar(text.Chars[i + k], start, end);
            }
            else
            {
                int n = UnicodeTables.ToLower(cp, parts);
                for (int k = 0; k < n; k++) scratch.Append(parts[k], start, end);
            }
            i += width - 1;
        }
        text.SwapWith(scratch);
    }
}
