namespace BertSharp.Engine;

/// <summary>
/// One model input already tokenized, as the encoder runs it: <see cref="Ids"/> [length] with the special tokens the
/// model needs ([CLS] … [SEP] for BERT), <see cref="TypeIds"/> [length] (all 0 for a single text), and how many leading
/// tokens are a prompt ([CLS] included; sentence-transformers leaves them out of pooling when include_prompt is false).
/// Made by <see cref="SentenceEmbedder.Tokenize(IReadOnlyList{string}, EmbedOptions?, CancellationToken)"/> (text →
/// ids, once) or <see cref="SentenceEmbedder.FromIds(ReadOnlySpan{int}, LongInputOptions?)"/> (ids from a client), and
/// embedded by <see cref="SentenceEmbedder.Embed(IReadOnlyList{EncodedInput}, EmbedOptions?, CancellationToken)"/>:
/// a host that must count or price tokens before running them tokenizes once.
/// </summary>
public sealed class EncodedInput
{
    public int[] Ids { get; }
    public int[] TypeIds { get; }
    /// <summary>Leading prompt tokens ([CLS] included); 0 = no prompt.</summary>
    public int PromptLength { get; }
    /// <summary>True when truncation removed tokens.</summary>
    public bool Truncated { get; }
    /// <summary>Tokens the model runs (specials and prompt included, after truncation).</summary>
    public int Length => Ids.Length;

    public EncodedInput(int[] ids, int[]? typeIds = null, int promptLength = 0, bool truncated = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (typeIds is not null && typeIds.Length != ids.Length)
            throw new BertInputException($"token_type_ids has {typeIds.Length} values but input_ids has {ids.Length}");
        if (promptLength < 0 || promptLength > ids.Length)
            throw new BertInputException($"prompt length {promptLength} is outside [0, {ids.Length}]");
        Ids = ids;
        TypeIds = typeIds ?? new int[ids.Length];
        PromptLength = promptLength;
        Truncated = truncated;
    }
}
