using BertSharp.Tokenization;

namespace BertSharp.Engine;

/// <summary>What to do with a text longer than the model accepts.</summary>
public enum LongInputPolicy
{
    /// <summary>Throw <see cref="BertInputException"/> naming the text and its length (the default: never a silent cut).</summary>
    Error,
    /// <summary>Cut to the maximum length (HF truncation=longest_first) and mark the row in <see cref="ModelOutput.Truncated"/>.</summary>
    Truncate,
    /// <summary>
    /// Run overlapping windows of the maximum length and merge them: each token's vector is the mean of its vectors
    /// in the windows that contain it; [CLS] comes from the first window, the final [SEP] from the last. Single texts only.
    /// </summary>
    SlidingWindow,
}

/// <summary>Long-input policy, the maximum length (default: max_position_embeddings) and the window overlap.</summary>
public sealed class LongInputOptions
{
    public LongInputPolicy Policy { get; init; } = LongInputPolicy.Error;
    /// <summary>Maximum tokens per sequence including specials; null = the model's max_position_embeddings.</summary>
    public int? MaxLength { get; init; }
    /// <summary>Tokens shared by consecutive windows (HF "stride"); must be smaller than the window's content size.</summary>
    public int Stride { get; init; } = 128;
    /// <summary>
    /// Which end <see cref="LongInputPolicy.Truncate"/> cuts (the tokenizer's truncation side; specials are kept).
    /// <see cref="SentenceEmbedder.Tokenize"/> and <see cref="SentenceEmbedder.FromIds"/> cut token ids the same way
    /// (<see cref="TokenTruncation"/>).
    /// </summary>
    public TruncationDirection Direction { get; init; } = TruncationDirection.Right;

    public static LongInputOptions Default { get; } = new();
}

/// <summary>Texts tokenized under a long-input policy: one encoding per text, which rows were cut, which need windows.</summary>
internal sealed record TokenizedTexts(Encoding[] Encodings, bool[] Truncated, List<int> Windowed, int MaxLength);

/// <summary>
/// The long-input policy (<see cref="LongInputPolicy"/>): tokenizing with it, and running the sliding windows.
/// options.CancellationToken is checked per text while tokenizing, and before every forward pass (one per long text).
/// </summary>
internal static class LongInputs
{
    public static TokenizedTexts Tokenize(BertModel model, IReadOnlyList<string> texts, IReadOnlyList<string?>? pairs,
        LongInputOptions longInputs, RunOptions options)
    {
        BertTokenizer tokenizer = model.RequireTokenizer();
        if (pairs is not null && pairs.Count != texts.Count)
            throw new BertInputException($"{texts.Count} texts but {pairs.Count} text pairs");
        int maxLength = Math.Min(longInputs.MaxLength ?? model.Config.MaxTokens, model.Config.MaxTokens);
        if (maxLength < 3) throw new BertInputException($"maximum length {maxLength} leaves no room for a token between [CLS] and [SEP]");

        var encodings = new Encoding[texts.Count];
        var truncated = new bool[texts.Count];
        var windowed = new List<int>();
        for (int i = 0; i < texts.Count; i++)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            string? pair = pairs?[i];
            Encoding e = tokenizer.Encode(texts[i] ?? throw new BertInputException($"text {i} is null"), pair);
            if (e.Ids.Length > maxLength)
            {
                switch (longInputs.Policy)
                {
                    case LongInputPolicy.Error:
                        throw new BertInputException(
                            $"text {i} has {e.Ids.Length} tokens but the model accepts at most {maxLength}; " +
                            "choose LongInputPolicy.Truncate or LongInputPolicy.SlidingWindow (CLI: --long-inputs truncate|window)");
                    case LongInputPolicy.Truncate:
                        e = tokenizer.Encode(texts[i], pair, new EncodeOptions
                        {
                            MaxLength = maxLength, Truncation = TruncationStrategy.LongestFirst,
                            TruncationSide = longInputs.Direction == TruncationDirection.Left ? TruncationSide.Left : TruncationSide.Right,
                        });
                        truncated[i] = true;
                        break;
                    case LongInputPolicy.SlidingWindow:
                        if (pair is not null)
                            throw new BertInputException($"text {i}: sliding windows apply to single texts, not pairs; truncate pairs instead");
                        if (options.OutputAttentions)
                            throw new BertInputException($"text {i}: attention probabilities are not defined for sliding windows; truncate instead");
                        windowed.Add(i);
                        break;
                }
            }
            encodings[i] = e;
        }
        return new TokenizedTexts(encodings, truncated, windowed, maxLength);
    }

    /// <summary>Rows that fit run as one batch; each windowed row runs its windows and merges them.</summary>
    public static ModelOutput RunWithWindows(BertModel model, TokenizedTexts tokens, BertBatch batch, LongInputOptions longInputs,
        RunOptions options) =>
        RunWithWindows(model, model.RequireTokenizer(), tokens.Encodings, batch, tokens.Windowed, tokens.MaxLength,
            longInputs.Stride, options, tokens.Truncated);

    private static ModelOutput RunWithWindows(BertModel model, BertTokenizer tokenizer, Encoding[] encodings, BertBatch batch,
        List<int> windowed, int maxLength, int stride, RunOptions options, bool[] truncated)
    {
        int h = model.Config.HiddenSize, t = batch.SequenceLength, layers = model.Config.NumHiddenLayers;
        int tensors = options.OutputHiddenStates ? layers + 1 : 1;          // index tensors-1 is last_hidden_state
        var merged = new float[tensors][];
        for (int k = 0; k < tensors; k++) merged[k] = new float[batch.BatchSize * t * h];
        float[]? pooled = model.Pooler is null ? null : new float[batch.BatchSize * h];

        // Rows that fit run together as one batch: give the windowed rows an empty placeholder there.
        var shortRows = new int[batch.BatchSize][];
        var isWindowed = new bool[batch.BatchSize];
        foreach (int i in windowed) isWindowed[i] = true;
        for (int i = 0; i < batch.BatchSize; i++) shortRows[i] = isWindowed[i] ? [] : encodings[i].Ids;
        var shortTypes = new int[batch.BatchSize][];
        for (int i = 0; i < batch.BatchSize; i++) shortTypes[i] = isWindowed[i] ? [] : encodings[i].TypeIds;
        ModelOutput shortOut = model.Run(BertBatch.FromRows(shortRows, shortTypes, tokenizer.PadTokenId), options);
        for (int i = 0; i < batch.BatchSize; i++)
        {
            if (isWindowed[i]) continue;
            int len = encodings[i].Ids.Length;
            for (int k = 0; k < tensors; k++)
            {
                float[] src = options.OutputHiddenStates ? shortOut.HiddenStates![k] : shortOut.LastHiddenState;
                src.AsSpan(i * shortOut.SequenceLength * h, len * h).CopyTo(merged[k].AsSpan(i * t * h));
            }
            if (pooled is not null) shortOut.PoolerOutput!.AsSpan(i * h, h).CopyTo(pooled.AsSpan(i * h, h));
        }

        foreach (int i in windowed)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            MergeWindows(model, tokenizer, encodings[i].Ids, maxLength, stride, options, merged, i * t * h,
                pooled is null ? default : pooled.AsSpan(i * h, h));
            truncated[i] = false;
        }
        float[] last = merged[tensors - 1];
        return new ModelOutput(batch, h, model.Config.NumAttentionHeads, last, pooled,
            options.OutputHiddenStates ? merged : null, null, truncated);
    }

    /// <summary>
    /// ids = [CLS] c₀ … cₙ₋₁ [SEP]. Windows hold W = maxLength − 2 content tokens and start every W − stride tokens.
    /// Writes the merged [len, hidden] rows of every requested tensor at <paramref name="offset"/>.
    /// </summary>
    private static void MergeWindows(BertModel model, BertTokenizer tokenizer, int[] ids, int maxLength, int stride, RunOptions options,
        float[][] merged, int offset, Span<float> pooled)
    {
        int h = model.Config.HiddenSize, n = ids.Length - 2, w = maxLength - 2;
        if (stride < 0 || stride >= w)
            throw new BertInputException($"window stride {stride} must be in [0, {w}) for windows of {w} content tokens");
        int step = w - stride;
        var starts = new List<int>();
        for (int s = 0; ; s += step)
        {
            starts.Add(s);
            if (s + w >= n) break;
        }
        var rows = new int[starts.Count][];
        for (int k = 0; k < starts.Count; k++)
        {
            int len = Math.Min(w, n - starts[k]);
            var row = new int[len + 2];
            row[0] = ids[0];
            Array.Copy(ids, 1 + starts[k], row, 1, len);
            row[^1] = ids[^1];
            rows[k] = row;
        }
        ModelOutput o = model.Run(BertBatch.FromRows(rows, null, tokenizer.PadTokenId), options);
        var counts = new int[ids.Length];
        for (int tensor = 0; tensor < merged.Length; tensor++)
        {
            float[] src = options.OutputHiddenStates ? o.HiddenStates![tensor] : o.LastHiddenState;
            Span<float> dst = merged[tensor].AsSpan(offset, ids.Length * h);
            Array.Clear(counts);
            for (int k = 0; k < rows.Length; k++)
            {
                int len = rows[k].Length;
                for (int j = 0; j < len; j++)
                {
                    int pos = j == 0 ? 0 : j == len - 1 ? ids.Length - 1 : 1 + starts[k] + j - 1;
                    if (j == 0 && k > 0) continue;                       // [CLS] from the first window
                    if (j == len - 1 && k < rows.Length - 1) continue;   // final [SEP] from the last window
                    System.Numerics.Tensors.TensorPrimitives.Add(dst.Slice(pos * h, h), src.AsSpan((k * o.SequenceLength + j) * h, h), dst.Slice(pos * h, h));
                    counts[pos]++;
                }
            }
            for (int pos = 0; pos < ids.Length; pos++)
                if (counts[pos] > 1) System.Numerics.Tensors.TensorPrimitives.Multiply(dst.Slice(pos * h, h), 1f / counts[pos], dst.Slice(pos * h, h));
        }
        if (!pooled.IsEmpty && o.PoolerOutput is not null) o.PoolerOutput.AsSpan(0, h).CopyTo(pooled);
    }
}
