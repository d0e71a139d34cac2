using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Decoders;

/// <summary>
/// Hugging Face's BPEDecoder (<c>decode_chain</c>): the end-of-word <c>suffix</c> (default "&lt;/w&gt;") becomes a space
/// in every token but the last, where it is removed. An empty suffix, as in Rust, puts a space around every char of
/// every token but the last.
/// </summary>
internal sealed class BpeDecoder(string suffix) : IDecoder
{
    public string Suffix { get; } = suffix;

    public void DecodeChain(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            string replacement = i == tokens.Count - 1 ? "" : " ";
            tokens[i] = Suffix.Length > 0 ? tokens[i].Replace(Suffix, replacement, StringComparison.Ordinal)
                // Rust str::replace("", r) puts r before every char and at the end.
                : replacement.Length == 0 ? tokens[i] : " " + string.Join(' ', tokens[i].EnumerateRunes()) + " ";
        }
    }
}
