using BertSharp.Tokenization;

namespace BertSharp.Engine;

/// <summary>
/// Pre-tokenized inputs: tokenize once (<see cref="Tokenize"/>, or <see cref="FromIds"/> for ids a client sent), look
/// at the token counts (limits, usage, batch budgets), then embed the same ids (<see cref="Embed(IReadOnlyList{EncodedInput}, EmbedOptions?, CancellationToken)"/>).
/// Embed(Tokenize(texts, o), o) equals Embed(texts, o).
/// </summary>
public sealed partial class SentenceEmbedder
{
    /// <summary>Longest input in tokens for <paramref name="longInputs"/>: its MaxLength capped by the model's positions (BertConfig.MaxTokens).</summary>
    public int MaxInputLength(LongInputOptions? longInputs = null) =>
        Math.Min((longInputs ?? LongInputs).MaxLength ?? Model.Config.MaxTokens, Model.Config.MaxTokens);

    /// <summary>
    /// Texts as the model will run them: the prompt of <paramref name="options"/> (explicit, named or the default)
    /// prepended, tokenized with special tokens, and the long-input policy applied — Error: <see cref="BertInputException"/>
    /// naming the text and its token count; Truncate: cut to the maximum length at the end
    /// <see cref="LongInputOptions.Direction"/> names, specials kept. Sliding windows run from text only (use Embed(texts)).
    /// </summary>
    public EncodedInput[] Tokenize(IReadOnlyList<string> texts, EmbedOptions? options = null, CancellationToken cancellationToken = default)
    {
        BertTokenizer tokenizer = Model.RequireTokenizer();
        string? prompt = ResolvePrompt(options);
        if (prompt is { Length: 0 }) prompt = null;
        int promptLength = prompt is null || Pipeline.Pooling.IncludePrompt ? 0 : PromptLength(prompt);
        LongInputOptions longInputs = options?.LongInputs ?? LongInputs;
        int maxLength = MaxInputLength(longInputs);
        var result = new EncodedInput[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string text = texts[i] ?? throw new BertInputException($"text {i} is null");
            Encoding e = tokenizer.Encode(prompt is null ? text : prompt + text);
            result[i] = e.Length <= maxLength
                ? new EncodedInput(e.Ids, e.TypeIds, Math.Min(promptLength, e.Length))
                : Cut(e.Ids, e.TypeIds, e.SpecialTokensMask, promptLength, maxLength, longInputs, $"text {i}");
        }
        return result;
    }

    /// <summary>
    /// Token ids a client sent, run as given (no special tokens added, no prompt: as TEI and OpenAI treat id inputs).
    /// Every id must be in the vocabulary. Longer than the maximum length: an error, or (Truncate) cut at the end
    /// <see cref="LongInputOptions.Direction"/> names, keeping the ids that are special tokens.
    /// </summary>
    /// <param name="longInputs">null = <see cref="LongInputs"/></param>
    public EncodedInput FromIds(ReadOnlySpan<int> ids, LongInputOptions? longInputs = null)
    {
        BertTokenizer tokenizer = Model.RequireTokenizer();
        if (ids.IsEmpty) throw new BertInputException("the token-id list is empty");
        int vocab = Model.Config.VocabSize;
        var specials = new int[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)vocab)
                throw new BertInputException($"token id {ids[i]} at position {i} is outside the model's vocabulary [0, {vocab})");
            specials[i] = tokenizer.IsSpecialToken(ids[i]) ? 1 : 0;
        }
        longInputs ??= LongInputs;
        int maxLength = MaxInputLength(longInputs);
        return ids.Length <= maxLength ? new EncodedInput(ids.ToArray())
            : Cut(ids, new int[ids.Length], specials, 0, maxLength, longInputs, "the token-id list");
    }

    private static EncodedInput Cut(ReadOnlySpan<int> ids, ReadOnlySpan<int> typeIds, ReadOnlySpan<int> specials, int promptLength,
        int maxLength, LongInputOptions longInputs, string what)
    {
        if (longInputs.Policy != LongInputPolicy.Truncate)
            throw new BertInputException(longInputs.Policy == LongInputPolicy.Error
                ? $"{what} has {ids.Length} tokens but the model accepts at most {maxLength}; " +
                  "choose LongInputPolicy.Truncate or LongInputPolicy.SlidingWindow (CLI: --long-inputs truncate|window)"
                : $"{what} has {ids.Length} tokens: sliding windows run from text (Embed(texts)), not from pre-tokenized inputs; truncate instead");
        var (kept, types, removedAtStart) = TokenTruncation.Truncate(ids, typeIds, specials, maxLength, longInputs.Direction);
        // A left cut eats the prompt first; [CLS] stays.
        int prompt = promptLength == 0 ? 0 : Math.Max(1, promptLength - removedAtStart);
        return new EncodedInput(kept, types, Math.Min(prompt, kept.Length), truncated: true);
    }

    /// <summary>
    /// One vector per pre-tokenized input, in input order, <see cref="BatchSize"/> inputs per forward pass. Of
    /// <paramref name="options"/> only Normalize and Dimensions apply here (the prompt and the long-input policy were
    /// applied when the inputs were made). Consecutive inputs with equal prompt lengths share a forward pass.
    /// </summary>
    public float[][] Embed(IReadOnlyList<EncodedInput> inputs, EmbedOptions? options, CancellationToken cancellationToken = default)
    {
        int? dims = options?.Dimensions ?? TruncateDim;
        if (dims is int n) CheckDimensions(n);
        bool force = options?.Normalize is bool on ? on : _forceNormalize;
        bool skip = options?.Normalize is bool on2 ? !on2 : _skipNormalize;
        bool normalized = force || (!skip && Pipeline.EndsNormalized);
        int width = Pipeline.OutputDimension, outWidth = dims ?? width, maxPositions = Model.Config.MaxTokens;
        int padId = Model.Tokenizer?.PadTokenId ?? 0;

        var result = new float[inputs.Count][];
        var runOptions = new RunOptions { MaxThreads = MaxThreads, CancellationToken = cancellationToken };
        var rows = new List<int[]>(BatchSize);
        var types = new List<int[]>(BatchSize);
        for (int start = 0; start < inputs.Count;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            rows.Clear();
            types.Clear();
            int promptLength = Check(inputs, start, maxPositions).PromptLength;
            int end = start;
            while (end < inputs.Count && end - start < BatchSize && Check(inputs, end, maxPositions).PromptLength == promptLength)
            {
                rows.Add(inputs[end].Ids);
                types.Add(inputs[end].TypeIds);
                end++;
            }
            ModelOutput output = Model.Run(BertBatch.FromRows(rows, types, padId), runOptions);
            float[] pooled = Pipeline.Forward(output, promptLength, skip, MaxThreads);
            for (int b = 0; b < rows.Count; b++)
            {
                float[] v = pooled.AsSpan(b * width, outWidth).ToArray();
                if (force || (normalized && outWidth < width)) VectorMath.L2Normalize(v);
                result[start + b] = v;
            }
            start = end;
        }
        return result;
    }

    private static EncodedInput Check(IReadOnlyList<EncodedInput> inputs, int i, int maxPositions)
    {
        EncodedInput input = inputs[i] ?? throw new BertInputException($"input {i} is null");
        if (input.Length == 0) throw new BertInputException($"input {i} has no tokens");
        if (input.Length > maxPositions)
            throw new BertInputException($"input {i} has {input.Length} tokens but the model accepts at most {maxPositions} (its position embeddings)");
        return input;
    }
}
