using System.Diagnostics;
using BertSharp.Engine;

namespace BertSharp.Server;

/// <summary>
/// Request-thread work before a job is queued: the input-count limit (413), the library's prompt and dimensions checks
/// (422), and tokenization — once: the ids made here are the ids the batcher embeds — applying the prompt,
/// max_input_length (422 naming the input and its token count when truncation is off) and truncation_direction, which
/// also prices the job for the batch token budget.
/// </summary>
internal sealed class EmbedPreparation(SentenceEmbedder embedder, ServerOptions options, ServerMetrics? metrics = null)
{
    /// <summary>Longest input in tokens ([CLS] and [SEP] included): the embedder's max_seq_length, else max_position_embeddings.</summary>
    public int MaxInputLength { get; } = embedder.MaxInputLength();

    /// <summary>The long-input policy of a request: truncate (else the server's --auto-truncate) at max_input_length, from the named end.</summary>
    public LongInputOptions LongInputs(bool? truncate, TruncationDirection direction) => new()
    {
        Policy = truncate ?? options.AutoTruncate ? LongInputPolicy.Truncate : LongInputPolicy.Error,
        MaxLength = MaxInputLength,
        Direction = direction,
    };

    /// <summary>413 when a request has more inputs than --max-client-batch-size; 400 (TEI error_type "empty") when it has none.</summary>
    public void CheckCount(int count, string field = "inputs")
    {
        if (count == 0) throw ApiException.Empty($"`{field}` cannot be empty");
        if (count > options.MaxClientBatchSize)
            throw ApiException.TooLarge($"batch size {count} > maximum allowed batch size {options.MaxClientBatchSize} (--max-client-batch-size)");
    }

    public EmbedJob Prepare(string route, InputItem[] items, string? promptName, bool? normalize, int? dimensions, bool? truncate,
        TruncationDirection direction, CancellationToken aborted)
    {
        EncodedInput[] inputs = Tokenize(route, items, promptName, truncate, direction, aborted);
        if (dimensions is int n && (n < 1 || n > embedder.FullDimension))
            throw ApiException.Validation($"dimensions {n} must be between 1 and the model's {embedder.FullDimension} (Matryoshka truncation keeps the first N)");
        int tokens = 0;
        foreach (EncodedInput input in inputs) tokens += input.Length;
        var embedOptions = new EmbedOptions { Normalize = normalize, Dimensions = dimensions };
        return new EmbedJob(route, inputs, embedOptions, new OptionsKey(normalize, dimensions), tokens, aborted);
    }

    /// <summary>
    /// Texts through <see cref="SentenceEmbedder.Tokenize"/> (prompt, limit, truncation), ids through
    /// <see cref="SentenceEmbedder.FromIds"/> (run as given; a prompt_name with ids is 422). Library errors become 422
    /// naming the input.
    /// </summary>
    public EncodedInput[] Tokenize(string route, InputItem[] items, string? promptName, bool? truncate, TruncationDirection direction,
        CancellationToken aborted)
    {
        CheckCount(items.Length);
        long start = Stopwatch.GetTimestamp();
        var embedOptions = new EmbedOptions { PromptName = promptName, LongInputs = LongInputs(truncate, direction) };
        var inputs = new EncodedInput[items.Length];
        try
        {
            embedder.ResolvePrompt(embedOptions);
            for (int i = 0; i < items.Length; i++)
            {
                aborted.ThrowIfCancellationRequested();
                if (items[i].Ids is int[] ids)
                {
                    if (promptName is not null)
                        throw ApiException.Validation($"input {i}: prompt_name applies to text inputs, not to token ids");
                    inputs[i] = embedder.FromIds(ids, embedOptions.LongInputs);
                }
                else inputs[i] = embedder.Tokenize([items[i].Text!], embedOptions, aborted)[0];
                metrics?.InputLength(inputs[i].Length);
            }
        }
        catch (BertInputException e)
        {
            int i = Array.IndexOf(inputs, null);
            System.Text.RegularExpressions.Match tooLong = System.Text.RegularExpressions.Regex.Match(e.Message, @"has (\d+) tokens but the model accepts at most");
            throw ApiException.Validation(tooLong.Success
                ? $"input {i} has {tooLong.Groups[1].Value} tokens, more than the model's max_input_length {MaxInputLength}; send \"truncate\": true or start the server with --auto-truncate"
                : i >= 0 ? $"input {i}: {e.Message}" : e.Message);
        }
        finally { metrics?.Tokenization(route, Stopwatch.GetElapsedTime(start).TotalSeconds); }
        return inputs;
    }
}
