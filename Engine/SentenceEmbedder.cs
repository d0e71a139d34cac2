using System.Runtime.CompilerServices;

namespace BertSharp.Engine;

/// <summary>
/// Text in, one vector per text out — the sentence-transformers recipe of the model folder by default
/// (pooling mode, Normalize module, max_seq_length truncation), or the pooling you choose.
/// </summary>
/// <example>
/// var embedder = SentenceEmbedder.Load("models/all-MiniLM-L6-v2");
/// float[] v = embedder.Embed("A man is eating food.");
/// </example>
public sealed class SentenceEmbedder
{
    public BertModel Model { get; }
    public PoolingMode Pooling { get; }
    public bool Normalize { get; }
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
    /// <param name="normalize">null = the folder's Normalize module (L2), else true when it has no sentence-transformers files</param>
    /// <param name="longInputs">null = the default described at <see cref="LongInputs"/></param>
    public SentenceEmbedder(BertModel model, PoolingMode? pooling = null, bool? normalize = null, LongInputOptions? longInputs = null)
    {
        Model = model;
        model.RequireTokenizer();
        SentenceTransformersConfig? st = model.SentenceTransformers;
        Pooling = pooling ?? st?.Pooling ?? PoolingMode.Mean;
        Normalize = normalize ?? st?.Normalize ?? true;
        LongInputs = longInputs ?? (st?.MaxSeqLength is int max
            ? new LongInputOptions { Policy = LongInputPolicy.Truncate, MaxLength = max }
            : LongInputOptions.Default);
    }

    /// <param name="directory">a model folder or a hub id "org/name[@revision]" (see <see cref="BertModel.Load(string, BertSharp.Weights.Hub.HubOptions?)"/>)</param>
    /// <param name="hub">hub settings; null = from the environment</param>
    public static SentenceEmbedder Load(string directory, PoolingMode? pooling = null, bool? normalize = null,
        BertSharp.Weights.Hub.HubOptions? hub = null) =>
        new(BertModel.Load(directory, hub), pooling, normalize);

    public float[] Embed(string text, CancellationToken cancellationToken = default) => Embed([text], cancellationToken)[0];

    /// <summary>
    /// One vector per text, in input order, computed <see cref="BatchSize"/> texts per forward pass with
    /// <see cref="MaxThreads"/> threads. <paramref name="cancellationToken"/> is checked between batches and inside
    /// each forward pass (before every layer); cancellation throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public float[][] Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
        EmbedCore(texts, default, cancellationToken);

    /// <summary>
    /// Same, and writes to <paramref name="tokenCounts"/>[i] the number of tokens text i ran as, [CLS] and [SEP]
    /// included: after truncation when <see cref="LongInputs"/> truncates; with sliding windows, each token of the text
    /// once (overlapping windows run some tokens twice). Usage accounting for hosts such as Microsoft.Extensions.AI.
    /// </summary>
    /// <param name="tokenCounts">one element per text</param>
    public float[][] EmbedCountingTokens(IReadOnlyList<string> texts, Span<int> tokenCounts, CancellationToken cancellationToken = default)
    {
        if (tokenCounts.Length < texts.Count)
            throw new ArgumentException($"tokenCounts has {tokenCounts.Length} elements for {texts.Count} texts", nameof(tokenCounts));
        return EmbedCore(texts, tokenCounts, cancellationToken);
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

    /// <summary>Length of every vector: the encoder's hidden size.</summary>
    public int Dimension => Model.Config.HiddenSize;

    private float[][] EmbedCore(IReadOnlyList<string> texts, Span<int> tokenCounts, CancellationToken cancellationToken)
    {
        var result = new float[texts.Count][];
        var options = new RunOptions { MaxThreads = MaxThreads, CancellationToken = cancellationToken };
        var chunk = new List<string>(BatchSize);
        for (int start = 0; start < texts.Count; start += BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            chunk.Clear();
            for (int i = start; i < Math.Min(texts.Count, start + BatchSize); i++) chunk.Add(texts[i]);
            ModelOutput output = Model.Run(chunk, null, options, LongInputs);
            float[][] pooled = Engine.Pooling.Pool(output, Pooling, Normalize);
            pooled.CopyTo(result, start);
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
}
