using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Decoders;

/// <summary>Hugging Face's Fuse decoder: all tokens concatenated into one.</summary>
internal sealed class FuseDecoder : IDecoder
{
    public static readonly FuseDecoder Instance = new();

    public void DecodeChain(List<string> tokens)
    {
        string all = string.Concat(tokens);
        tokens.Clear();
        tokens.Add(all);
    }
}
