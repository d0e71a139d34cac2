using System.Text.Json;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.PreTokenizers;

/// <summary>
/// Hugging Face's Digits (pre_tokenizers/digits.rs): split on <c>char::is_numeric</c>, each digit alone
/// (individual_digits, Isolated) or each run of digits together (Contiguous).
/// </summary>
internal sealed class DigitsPreTokenizer(bool individualDigits) : IPreTokenizer
{
    public bool IndividualDigits { get; } = individualDigits;

    public void PreTokenize(PreTokenizedText input, int index, PreTokenizedText output, PipelineScratch scratch) =>
        CodePointSplit.Split(input, index, output, CodePointPredicate.Numeric,
            IndividualDigits ? SplitBehavior.Isolated : SplitBehavior.Contiguous);

    /// <summary>Reads {"type": "Digits", "individual_digits"?} (default false).</summary>
    public static DigitsPreTokenizer FromJson(JsonFields f, JsonElement p, string path)
    {
        f.RejectUnknown(p, path, "type", "individual_digits");
        return new DigitsPreTokenizer(f.Bool(p, path, "individual_digits") ?? false);
    }
}
