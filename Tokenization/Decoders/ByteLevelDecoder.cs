using BertSharp.Tokenization.Pipeline;
using BertSharp.Tokenization.PreTokenizers;

namespace BertSharp.Tokenization.Decoders;

/// <summary>
/// Hugging Face's ByteLevel decoder (<c>decode_chain</c>): each token whose chars are all <see cref="ByteLevelAlphabet"/>
/// chars stands for those bytes, any other token for its own UTF-8; all bytes are read as UTF-8 with invalid sequences
/// replaced by U+FFFD (Rust <c>String::from_utf8_lossy</c>; .NET's decoder replaces the same maximal subparts).
/// The list becomes that one string.
/// </summary>
internal sealed class ByteLevelDecoder : IDecoder
{
    public static readonly ByteLevelDecoder Instance = new();

    public void DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (string token in tokens)
        {
            bool all = true;
            foreach (char c in token)
                if (ByteLevelAlphabet.ToByte(c) < 0) { all = false; break; }
            if (all)
            {
                foreach (char c in token) bytes.Add((byte)ByteLevelAlphabet.ToByte(c));
            }
            else bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(token));
        }
        tokens.Clear();
        tokens.Add(System.Text.Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
    }
}
