namespace BertSharp.Tokenization.Pipeline;

/// <summary>
/// The model of tokenizer.json's "model" section (WordPiece, Unigram, BPE): turns one pre-tokenized piece into
/// tokens. Each token is (id, [start, end) in UTF-16 chars of <c>piece</c>, optional text); the text is
/// only given when it differs from the vocabulary entry of the id (e.g. Unigram's fused unknown run), so the steady
/// state allocates nothing.
/// </summary>
internal interface ITokenModel
{
    void Tokenize(ReadOnlySpan<char> piece, ModelTokens output);

    /// <summary>Token text to id (vocabulary only, not added tokens); null when absent.</summary>
    int? TokenToId(string token);

    /// <summary>Id to token text; null when the vocabulary has no such id.</summary>
    string? IdToToken(int id);

    /// <summary>Highest vocabulary id + 1.</summary>
    int VocabSize { get; }

    /// <summary>The unknown token's id, or -1 when the model has none.</summary>
    int UnkId { get; }
}
