using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.PreTokenizers;

/// <summary>Hugging Face's WhitespaceSplit (pre_tokenizers/whitespace.rs): split on <c>char::is_whitespace</c>, Removed.</summary>
internal sealed class WhitespaceSplitPreTokenizer : IPreTokenizer
{
    public static readonly WhitespaceSplitPreTokenizer Instance = new();

    public void PreTokenize(PreTokenizedText input, int index, PreTokenizedText output, PipelineScratch scratch) =>
        CodePointSplit.Split(input, index, output, CodePointPredicate.Whitespace, SplitBehavior.Removed);
}
