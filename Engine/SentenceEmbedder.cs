using System.Runtime.CompilerServices;
using BertSharp.Engine.SentenceTransformers;

namespace BertSharp.Engine;

/// <summary>
/// Text in, one vector per text out — the sentence-transformers recipe of the model folder by default
/// (modules.json: Pooling, Dense, Normalize, LayerNorm in file order; prompts; max_seq_length truncation), or the
/// pooling you choose. Semantics follow sentence-transformers' SentenceTransformer.encode (5.2.0.dev0).
/// </summary>
/// <example>
/// var embedder = SentenceEmbedder.Load("models/all-MiniLM-L6-v2");
/// float[] v = embedder.Embed("A man is eating food.");
/// </example>
public sealed class SentenceEmbedder
{
    public BertModel Model { get; }
    /// <summary>The (first) pooling mode; <see cref="Pipeline"/> has them all.</summary>
    public PoolingMode Pooling { get; }
    /// <summary>Whether the vectors are L2-normalised (the last module is Normalize, or normalize was forced on).</summary>
    public bool Normalize { get; }
    /// <summary>Pooling and the sentence modules after it, from modules.json.</summary>
    public SentencePipeline Pipeline { get; }
    /// <summary>config_sentence_transformers.json prompts (empty when none).</summary>
    public IReadOnlyDictionary<string, string> Prompts { get; }
    /// <summary>The prompt used when a call names none (default_prompt_name), or null.</summary>
    public string? DefaultPromptName { get; }
    /// <summary>The model's similarity function (similarity_fn_name; cosine when the folder names none).</summary>
    public SimilarityFunction SimilarityFunction { get; }
    /// <summary>
    /// Matryoshka truncation for every call (sentence-transformers' truncate_dim): keep the first N dimensions,
    /// L2-normalised again when <see cref="Normalize"/>; null = the full width. Per call: <see cref="EmbedOptions.Dimensions"/>.
    /// </summary>
    public int? TruncateDim
    {
        get => _truncateDim;
        init { if (value is int n) CheckDimensions(n); _truncateDim = value; }
    }
    private readonly int? _truncateDim;
    private readonly bool _forceNormalize, _skipNormalize;
    /// <summary>Texts per forward pass.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Thread budget per forward pass (≤ 0 = all cores).</summary>
    public int MaxThreads { get; init; }
    /// <summary>
    /// Long-input handling. Default: truncate at the folder's sentence-transformers max_seq_length when it has one
    /// (what sentence-transformers does), else an error above max_position_embeddings.
    /// </summary>
    public LongInputOptions LongInputs { get; }

    /// <param name="pooling">null = the folder's sentence-transformers pooling, else mean</param>
    /// <param name="normalize">null = the folder's Normalize module(s) as modules.json places them (L2 normalisation
    /// when the folder has no sentence-transformers files); true = also L2-normalise the final vectors (sentence-transformers'
    /// normalize_embeddings=True); false = leave the Normalize modules out</param>
    /// <param name="longInputs">null = the default described at <see cref="LongInputs"/></param>
    public SentenceEmbedder(BertModel model, PoolingMode? pooling = null, bool? normalize = null, LongInputOptions? longInputs = null)
    {
        Model = model;
        model.RequireTokenizer();
        SentenceTransformersConfig? st = model.SentenceTransformers;
        Pipeline = SentencePipeline.Load(model, pooling);
        Pooling = Pipeline.Pooling.Modes[0];
        _forceNormalize = normalize == true || (normalize is null && st is null);
        _skipNormalize = normalize == false;
        Normalize = _forceNormalize || (!_skipNormalize && Pipeline.EndsNormalized);
        Prompts = st?.Prompts ?? new Dictionary<string, string>();
        DefaultPromptName = st?.DefaultPromptName;
        SimilarityFunction = st?.SimilarityFunctionName is string sim ? SentenceTransformers.Similarity.Parse(sim) : SimilarityFunction.Cosine;
        LongInputs = longInputs ?? (st?.MaxSeqLength is int max
            ? new LongInputOptions { Policy = LongInputPolicy.Truncate, MaxLength = max }
            : LongInputOptions.Default);
    }

    /// <param name="directory">a model folder or a hub id "org/name[@revision]" (see <see cref="BertModel.Load(string, BertSharp.Weights.Hub.HubOptions?)"/>)</param>
    /// <param name="hub">hub settings; null = from the environment</param>
    public static SentenceEmbedder Load(string directory, PoolingMode? pooling = null, bool? normalize = null,
        BertSharp.Weights.Hub.HubOptions? hub = null) =>
        new(BertModel.Load(directory, hub), pooling, normalize);

    /// <param name="directory">a model folder or a hub id "org/name[@revision]"</param>
    /// <param name="options">int8 quantization (<see cref="LoadOptions.Quantization"/>) and hub settings; null = fp32</param>
    public static SentenceEmbedder Load(string directory, LoadOptions? options, PoolingMode? pooling = null, bool? normalize = null) =>
        new(BertModel.Load(directory, options), pooling, normalize);

    public float[] Embed(string text, CancellationToken cancellationToken = default) => Embed([text], cancellationToken)[0];

    /// <summary>
    /// One vector per text, in input order, computed <see cref="BatchSize"/> texts per forward pass with
    /// <see cref="MaxThreads"/> threads. <paramref name="cancellationToken"/> is checked between batches and inside
    /// each forward pass (before every layer); cancellation throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public float[][] Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
        EmbedCore(texts, default, null, cancellationToken);

    /// <summary>Same, with per-call prompt, dimensions, normalisation and long-input policy.</summary>
    public float[][] Embed(IReadOnlyList<string> texts, EmbedOptions? options, CancellationToken cancellationToken = default) =>
        EmbedCore(texts, default, options, cancellationToken);

    /// <summary>Same, with the prompt named <paramref name="promptName"/> (e.g. "query") from config_sentence_transformers.json.</summary>
    public float[][] Embed(IReadOnlyList<string> texts, string promptName, CancellationToken cancellationToken = default) =>
        EmbedCore(texts, default, new EmbedOptions { PromptName = promptName }, cancellationToken);

    /// <summary>
    /// Same, and writes to <paramref name="tokenCounts"/>[i] the number of tokens text i ran as, [CLS] and [SEP]
    /// included: after truncation when <see cref="LongInputs"/> truncates; with sliding windows, each token of the text
    /// once (overlapping windows run some tokens twice). Usage accounting for hosts such as Microsoft.Extensions.AI.
    /// </summary>
    /// <param name="tokenCounts">one element per text</param>
    public float[][] EmbedCountingTokens(IReadOnlyList<string> texts, Span<int> tokenCounts, CancellationToken cancellationToken = default) =>
        EmbedCountingTokens(texts, tokenCounts, null, cancellationToken);

    /// <summary>Same, with per-call options; the counts include the prompt's tokens (the model ran them).</summary>
    public float[][] EmbedCountingTokens(IReadOnlyList<string> texts, Span<int> tokenCounts, EmbedOptions? options,
        CancellationToken cancellationToken = default)
    {
        if (tokenCounts.Length < texts.Count)
            throw new ArgumentException($"tokenCounts has {tokenCounts.Length} elements for {texts.Count} texts", nameof(tokenCounts));
        return EmbedCore(texts, tokenCounts, options, cancellationToken);
    }

    /// <summary>
    /// Vectors of a stream of texts of any length, in input order, with bounded memory: windows of
    /// <paramref name="window"/> texts are sorted by length, embedded in batches and yielded in input order
    /// (<see cref="StreamingEmbedder"/>). A text that cannot be embedded throws <see cref="BertInputException"/> naming its index.
    /// </summary>
    public IEnumerable<float[]> EmbedStream(IEnumerable<string> texts, int window = 4096, CancellationToken cancellationToken = default)
    {
        foreach (StreamedEmbedding<string> r in new StreamingEmbedder(this, window).Embed(texts, static t => t, cancellationToken))
            yield return r.Vector!;
    }

    /// <summary>As <see cref="EmbedStream"/> over an asynchronous source of texts.</summary>
    public async IAsyncEnumerable<float[]> EmbedStreamAsync(IAsyncEnumerable<string> texts, int window = 4096,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (StreamedEmbedding<string> r in new StreamingEmbedder(this, window)
                           .EmbedAsync(texts, static t => t, cancellationToken).ConfigureAwait(false))
            yield return r.Vector!;
    }

    /// <summary>Length of every vector with default options: <see cref="TruncateDim"/>, else <see cref="FullDimension"/>.</summary>
    public int Dimension => TruncateDim ?? FullDimension;

    /// <summary>Width of the pipeline's output before any truncation (hidden size × pooling modes, or the last Dense's out_features).</summary>
    public int FullDimension => Pipeline.OutputDimension;

    /// <summary>The prompt text a call uses: explicit prompt, else the named one, else the default; null = none.</summary>
    public string? ResolvePrompt(EmbedOptions? options)
    {
        if (options?.Prompt is string explicitPrompt) return explicitPrompt;
        if (options?.PromptName is string name)
            return Prompts.TryGetValue(name, out string? p) ? p
                : throw new BertInputException($"prompt name '{name}' is not one of the model's prompts ({(Prompts.Count == 0 ? "it has none" : string.Join(", ", Prompts.Keys))}); see config_sentence_transformers.json");
        return DefaultPromptName is string d ? Prompts[d] : null;
    }

    /// <summary>
    /// Tokens of <paramref name="prompt"/> as sentence-transformers counts them (_get_prompt_length): the prompt
    /// tokenized alone with special tokens, less the final token when it is special ([SEP]) — so [CLS] is counted.
    /// </summary>
    public int PromptLength(string prompt)
    {
        int[] ids = Model.RequireTokenizer().Encode(prompt).Ids;
        return ids.Length > 0 && Model.Tokenizer!.IsSpecialToken(ids[^1]) ? ids.Length - 1 : ids.Length;
    }

    private void CheckDimensions(int n)
    {
        if (n < 1 || n > FullDimension)
            throw new BertInputException($"dimensions {n} must be between 1 and the model's {FullDimension} (Matryoshka truncation keeps the first N)");
    }

    private float[][] EmbedCore(IReadOnlyList<string> texts, Span<int> tokenCounts, EmbedOptions? embedOptions, CancellationToken cancellationToken)
    {
        string? prompt = ResolvePrompt(embedOptions);
        if (prompt is { Length: 0 }) prompt = null;                         // sentence-transformers: `if prompt is not None and len(prompt) > 0`
        int promptLength = prompt is null || Pipeline.Pooling.IncludePrompt ? 0 : PromptLength(prompt);
        int? dims = embedOptions?.Dimensions ?? TruncateDim;
        if (dims is int n) CheckDimensions(n);
        bool force = embedOptions?.Normalize is bool on ? on : _forceNormalize;
        bool skip = embedOptions?.Normalize is bool on2 ? !on2 : _skipNormalize;
        bool normalized = force || (!skip && Pipeline.EndsNormalized);
        LongInputOptions longInputs = embedOptions?.LongInputs ?? LongInputs;
        int width = Pipeline.OutputDimension, outWidth = dims ?? width;

        var result = new float[texts.Count][];
        var options = new RunOptions { MaxThreads = MaxThreads, CancellationToken = cancellationToken };
        var chunk = new List<string>(BatchSize);
        for (int start = 0; start < texts.Count; start += BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            chunk.Clear();
            for (int i = start; i < Math.Min(texts.Count, start + BatchSize); i++)
            {
                string text = texts[i] ?? throw new BertInputException($"text {i} is null");
                chunk.Add(prompt is null ? text : prompt + text);
            }
            ModelOutput output = Model.Run(chunk, null, options, longInputs);
            float[] rows = Pipeline.Forward(output, promptLength, skip, MaxThreads);
            for (int b = 0; b < chunk.Count; b++)
            {
                // sentence-transformers: truncate_embeddings after the modules, then normalize_embeddings; BertSharp also
                // re-normalises a truncated vector whose model ends with Normalize (as TEI and OpenAI `dimensions` do).
                float[] v = rows.AsSpan(b * width, outWidth).ToArray();
                if (force || (normalized && outWidth < width)) VectorMath.L2Normalize(v);
                result[start + b] = v;
            }
            if (!tokenCounts.IsEmpty)
                for (int b = 0; b < chunk.Count; b++) tokenCounts[start + b] = CountTokens(output.Batch, b);
        }
        return result;
    }

    /// <summary>Real tokens (attention_mask == 1) of row b.</summary>
    private static int CountTokens(BertBatch batch, int b)
    {
        int count = 0;
        foreach (int m in batch.AttentionMask.AsSpan(b * batch.SequenceLength, batch.SequenceLength)) count += m != 0 ? 1 : 0;
        return count;
    }

    /// <summary>Cosine similarity of two texts' embeddings.</summary>
    public float Similarity(string a, string b, CancellationToken cancellationToken = default)
    {
        float[][] v = Embed([a, b], cancellationToken);
        return VectorMath.CosineSimilarity(v[0], v[1]);
    }

    /// <summary>The model's <see cref="SimilarityFunction"/> of two vectors (larger = more similar).</summary>
    public float Score(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => SentenceTransformers.Similarity.Score(SimilarityFunction, a, b);
}
