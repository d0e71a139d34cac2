namespace BertSharp.Tokenization.Pipeline;

/// <summary>
/// A post-processor of tokenizer.json's "post_processor" section (TemplateProcessing, BertProcessing,
/// RobertaProcessing, ...): lays out special tokens around sequence A (and B) and builds the final
/// <see cref="Encoding"/>. Truncation has already chosen which tokens of each sequence survive:
/// <c>a.Ids[startA .. startA + lengthA)</c>.
/// </summary>
internal interface IPostProcessor
{
    /// <summary>Number of special tokens added for a single sequence or a pair (what truncation leaves room for).</summary>
    int AddedTokens(bool isPair);

    /// <summary>
    /// Builds the encoding, at least <paramref name="padTo"/> tokens long (padding on <paramref name="padLeft"/> side).
    /// <paramref name="idToToken"/> is used for tokens whose <see cref="TokenBuffer.Texts"/> entry is null.
    /// </summary>
    Encoding Build(TokenBuffer a, int startA, int lengthA, TokenBuffer? b, int startB, int lengthB, bool addSpecialTokens,
        string[] idToToken, int padTo, bool padLeft, in PadInfo pad);

    /// <summary>Writes only the ids of a single sequence (no allocation); returns the count, or -1 when too small.</summary>
    int WriteIds(TokenBuffer a, int lengthA, bool addSpecialTokens, Span<int> destination);
}
