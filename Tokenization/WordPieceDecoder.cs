using System.Text;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization;

/// <summary>
/// Hugging Face's WordPiece decoder: tokens after the first lose the "##" prefix and glue to the previous one,
/// others get a leading space; with cleanup, " ." -> ".", " n't" -> "n't", etc. (decoders/wordpiece.rs).
/// A null decoder (tokenizer.json "decoder": null) joins tokens with spaces, as the Rust library does.
/// </summary>
internal sealed class WordPieceDecoder(string prefix, bool cleanup) : IDecoder
{
    public string Prefix { get; } = prefix;
    public bool Cleanup { get; } = cleanup;

    public string Decode(IReadOnlyList<string> tokens)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (i != 0)
            {
                if (Prefix.Length > 0 && token.StartsWith(Prefix, StringComparison.Ordinal)) token = token[Prefix.Length..];
                else token = " " + token;
            }
            if (Cleanup) token = CleanUp(token);
            sb.Append(token);
        }
        return sb.ToString();
    }

    /// <summary>decode_chain: each token rewritten as <see cref="Decode"/> would append it.</summary>
    public void DecodeChain(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (i != 0)
            {
                if (Prefix.Length > 0 && token.StartsWith(Prefix, StringComparison.Ordinal)) token = token[Prefix.Length..];
                else token = " " + token;
            }
            tokens[i] = Cleanup ? CleanUp(token) : token;
        }
    }

    /// <summary>The Rust library's cleanup(): applied to each token (with its leading space) separately.</summary>
    internal static string CleanUp(string s) => s
        .Replace(" .", ".", StringComparison.Ordinal)
        .Replace(" ?", "?", StringComparison.Ordinal)
        .Replace(" !", "!", StringComparison.Ordinal)
        .Replace(" ,", ",", StringComparison.Ordinal)
        .Replace(" ' ", "'", StringComparison.Ordinal)
        .Replace(" n't", "n't", StringComparison.Ordinal)
        .Replace(" 'm", "'m", StringComparison.Ordinal)
        .Replace(" do not", " don't", StringComparison.Ordinal)
        .Replace(" 's", "'s", StringComparison.Ordinal)
        .Replace(" 've", "'ve", StringComparison.Ordinal)
        .Replace(" 're", "'re", StringComparison.Ordinal);
}
