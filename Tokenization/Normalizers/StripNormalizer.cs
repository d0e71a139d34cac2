using System.Text.Json;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Normalizers;

/// <summary>
/// Hugging Face's Strip normalizer: removes leading and/or trailing White_Space (Rust <c>char::is_whitespace</c>:
/// also U+0085, U+00A0, U+3000, U+2028...). The chars kept keep their alignments.
/// </summary>
internal sealed class StripNormalizer(bool left, bool right) : INormalizer
{
    public void Normalize(NormalizedText text, NormalizedText scratch)
    {
        int start = 0, end = text.Length;
        if (left) while (start < end && IsWhitespace(text.Chars[start])) start++;
        if (right) while (end > start && IsWhitespace(text.Chars[end - 1])) end--;
        if (start == 0 && end == text.Length) return;
        int n = end - start;
        Array.Copy(text.Chars, start, text.Chars, 0, n);
        Array.Copy(text.Start, start, text.Start, 0, n);
        Array.Copy(text.End, start, text.End, 0, n);
        text.Length = n;
    }

    // Every White_Space code point is in the BMP.
    private static bool IsWhitespace(char c) => !char.IsSurrogate(c) && (UnicodeTables.GetFlags(c) & CharFlags.Whitespace) != 0;

    public static StripNormalizer FromJson(JsonFields f, JsonElement n, string path)
    {
        f.RejectUnknown(n, path, "type", "strip_left", "strip_right");
        return new StripNormalizer(f.Bool(n, path, "strip_left") ?? throw f.Error(JsonFields.Join(path, "strip_left"), "is missing"),
            f.Bool(n, path, "strip_right") ?? throw f.Error(JsonFields.Join(path, "strip_right"), "is missing"));
    }
}
