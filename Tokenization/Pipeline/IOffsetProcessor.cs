namespace BertSharp.Tokenization.Pipeline;

/// <summary>
/// A post-processor that also rewrites the offsets of the tokens truncation kept, before the layout (Hugging Face's
/// ByteLevel / RobertaProcessing <c>trim_offsets</c>, which runs in <c>process_encodings</c> on each sequence).
/// The original is the sequence's string; the kept tokens are <c>tokens[start .. start + length)</c>.
/// </summary>
internal interface IOffsetProcessor
{
    void ProcessOffsets(ReadOnlySpan<char> original, TokenBuffer tokens, int start, int length, string[] idToToken);
}
