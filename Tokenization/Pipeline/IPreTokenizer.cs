namespace BertSharp.Tokenization.Pipeline;

/// <summary>
/// A pre-tokenizer of tokenizer.json's "pre_tokenizer" section (Hugging Face <c>PreTokenizer</c>): cuts piece
/// <c>index</c> of <c>input</c> (never an added token) into pieces appended to
/// <c>output</c>, and may rewrite their chars (keeping each char's original span). Empty pieces are
/// dropped by <see cref="PreTokenizedText.EndPiece"/>, as the Rust library drops empty splits.
/// <c>scratch</c> lends intermediate buffers (e.g. to a Sequence).
/// </summary>
internal interface IPreTokenizer
{
    void PreTokenize(PreTokenizedText input, int index, PreTokenizedText output, PipelineScratch scratch);
}
