using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Decoders;

/// <summary>
/// Hugging Face's ByteFallback decoder: each run of <c>&lt;0xXX&gt;</c> tokens becomes the text of those UTF-8 bytes,
/// or one U+FFFD per byte when they are not valid UTF-8; other tokens pass unchanged.
/// </summary>
internal sealed class ByteFallbackDecoder : IDecoder
{
    public static readonly ByteFallbackDecoder Instance = new();

    public void DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var bytes = new List<byte>();
        foreach (string token in tokens)
        {
            if (TryParseByte(token, out byte b)) { bytes.Add(b); continue; }
            Flush(bytes, result);
            result.Add(token);
        }
        Flush(bytes, result);
        tokens.Clear();
        tokens.AddRange(result);
    }

    private static void Flush(List<byte> bytes, List<string> result)
    {
        if (bytes.Count == 0) return;
        var array = bytes.ToArray();
        try { result.Add(new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(array)); }
        catch (System.Text.DecoderFallbackException) { for (int i = 0; i < array.Length; i++) result.Add("\uFFFD"); }
        bytes.Clear();
    }

    /// <summary>"&lt;0xXX&gt;" with two hex digits (either case, as Rust's u8::from_str_radix).</summary>
    internal static bool TryParseByte(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out value);
    }
}
