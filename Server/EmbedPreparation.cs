using BertSharp.Engine;
using BertSharp.Tokenization;

namespace BertSharp.Server;

/// <summary>
/// Request-thread work before a job is queued: the input-count limit (413), the library's prompt and dimensions checks
/// (422), and tokenization of every input to apply max_input_length (422 naming the input and its token count when
/// truncation is off) and to price the job for the batch token budget.
/// </summary>
internal sealed class EmbedPreparation(SentenceEmbedder embedder, ServerOptions options)
{
    /// <summary>Longest input in tokens ([CLS] and [SEP] included): the embedder's max_seq_length, else max_position_embeddings.</summary>
    public int MaxInputLength { get; } = Math.Min(
        embedder.LongInputs.MaxLength ?? embedder.Model.Config.MaxTokens, embedder.Model.Config.MaxTokens);

    public EmbedJob Prepare(string[] texts, string? promptName, bool? normalize, int? dimensions, bool? truncate, CancellationToken aborted)
    {
        if (texts.Length == 0) throw ApiException.Validation("`inputs` cannot be empty");
        if (texts.Length > options.MaxClientBatchSize)
            throw ApiException.TooLarge($"batch size {texts.Length} > maximum allowed batch size {options.MaxClientBatchSize} (--max-client-batch-size)");
        bool cut = truncate ?? options.AutoTruncate;
        var embedOptions = new EmbedOptions
        {
            PromptName = promptName,
            Normalize = normalize,
            Dimensions = dimensions,
            LongInputs = new LongInputOptions { Policy = cut ? LongInputPolicy.Truncate : LongInputPolicy.Error, MaxLength = MaxInputLength },
        };
        string? prompt;
        try
        {
            prompt = embedder.ResolvePrompt(embedOptions);
            if (dimensions is int n && (n < 1 || n > embedder.FullDimension))
                throw new BertInputException($"dimensions {n} must be between 1 and the model's {embedder.FullDimension} (Matryoshka truncation keeps the first N)");
        }
        catch (BertInputException e) { throw ApiException.Validation(e.Message); }

        BertTokenizer tokenizer = embedder.Model.RequireTokenizer();
        int tokens = 0;
        for (int i = 0; i < texts.Length; i++)
        {
            aborted.ThrowIfCancellationRequested();
            int length = tokenizer.Encode(prompt is { Length: > 0 } ? prompt + texts[i] : texts[i]).Ids.Length;
            if (length > MaxInputLength && !cut)
                throw ApiException.Validation(
                    $"input {i} has {length} tokens, more than the model's max_input_length {MaxInputLength}; send \"truncate\": true or start the server with --auto-truncate");
            tokens += Math.Min(length, MaxInputLength);
        }
        return new EmbedJob(texts, embedOptions, new OptionsKey(promptName, normalize, dimensions, cut), tokens, aborted);
    }
}
