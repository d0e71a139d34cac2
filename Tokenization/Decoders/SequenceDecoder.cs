using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Decoders;

/// <summary>Hugging Face's decoders.Sequence: each decoder's decode_chain on the previous one's output.</summary>
internal sealed class SequenceDecoder(IDecoder[] decoders) : IDecoder
{
    public void DecodeChain(List<string> tokens)
    {
        foreach (var d in decoders) d.DecodeChain(tokens);
    }
}
