using System.Text.Json;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.PreTokenizers;

/// <summary>Hugging Face's Punctuation (pre_tokenizers/punctuation.rs): split on <c>is_punc</c> with the behavior (default Isolated).</summary>
internal sealed class PunctuationPreTokenizer(SplitBehavior behavior) : IPreTokenizer
{
    public SplitBehavior Behavior { get; } = behavior;

    public void PreTokenize(PreTokenizedText input, int index, PreTokenizedText output, PipelineScratch scratch) =>
        CodePointSplit.Split(input, index, output, CodePointPredicate.Punctuation, Behavior);

    /// <summary>Reads {"type": "Punctuation", "behavior"?}.</summary>
    public static PunctuationPreTokenizer FromJson(JsonFields f, JsonElement p, string path)
    {
        f.RejectUnknown(p, path, "type", "behavior");
        return new PunctuationPreTokenizer(SplitBehaviorJson.Read(f, p, path, "behavior", SplitBehavior.Isolated));
    }
}
