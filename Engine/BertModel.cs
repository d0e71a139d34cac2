using BertSharp.Engine.Model;
using BertSharp.Tokenization;
using BertSharp.Weights;
using BertSharp.Weights.Hub;

namespace BertSharp.Engine;

/// <summary>
/// A loaded BERT-family encoder (HF BertModel, RobertaModel, XLMRobertaModel, CamembertModel, DistilBertModel, ElectraModel,
/// MPNetModel: config.json model_type picks the <see cref="EncoderArchitecture"/>): embeddings → encoder layers → optional pooler.
/// Load once with <see cref="Load(string)"/>; the model is immutable afterwards and safe to share between threads.
/// </summary>
/// <example>
/// var model = BertModel.Load("models/all-MiniLM-L6-v2");
/// ModelOutput output = model.Run(["Hello world!"]);
/// </example>
public sealed class BertModel
{
    public BertConfig Config { get; }
    /// <summary>The tokenizer from the model folder, or null when it has neither tokenizer.json nor vocab.txt.</summary>
    public BertTokenizer? Tokenizer { get; }
    /// <summary>sentence-transformers settings (pooling, normalize, max_seq_length) when the folder has them.</summary>
    public SentenceTransformersConfig? SentenceTransformers { get; }
    public BertEmbeddings Embeddings { get; }
    public BertEncoder Encoder { get; }
    /// <summary>Null for checkpoints saved without a pooler (e.g. BertForMaskedLM).</summary>
    public BertPooler? Pooler { get; }
    public string Directory { get; }
    /// <summary>How the model was loaded (weight precision); hub settings are not kept.</summary>
    public LoadOptions LoadOptions { get; }
    /// <summary>fp32, or int8 when loaded with <see cref="WeightQuantization.Int8"/>.</summary>
    public WeightQuantization Quantization => LoadOptions.Quantization;

    private BertModel(string directory, Checkpoint checkpoint, BertTokenizer? tokenizer, SentenceTransformersConfig? st, LoadOptions options)
    {
        Directory = directory;
        LoadOptions = options with { Hub = null };
        Config = checkpoint.Config;
        Tokenizer = tokenizer;
        SentenceTransformers = st;
        Embeddings = new BertEmbeddings(checkpoint, Config, options.EffectiveWordEmbeddingPrecision);
        var plan = new QuantizationPlan(options);
        using (SmoothingCalibration? calibration = plan.NeedsCalibration ? new SmoothingCalibration(Config, tokenizer, Embeddings) : null)
            Encoder = new BertEncoder(checkpoint, Config, plan, calibration);
        // DistilBERT and ELECTRA never have a pooler; the others have one when the checkpoint stores it.
        Pooler = Config.Encoder.CanHavePooler && checkpoint.Contains(BertParameterNames.PoolerDenseWeight) ? new BertPooler(checkpoint, Config) : null;
    }

    /// <summary>
    /// Loads config.json, the safetensors weights (single file or sharded) and, when present, the tokenizer and
    /// sentence-transformers files from a Hugging Face model folder.
    /// </summary>
    /// <param name="directory">a model folder, or a Hugging Face hub id "org/name[@revision]" resolved through the
    /// Hugging Face cache and downloaded when absent (see <see cref="ModelResolver"/>; settings from the environment)</param>
    public static BertModel Load(string directory) => Load(directory, hub: null);

    /// <summary>Same, with explicit hub settings (endpoint, token, cache folder, offline, progress, cancellation).</summary>
    /// <param name="hub">null = <see cref="HubOptions.FromEnvironment"/></param>
    public static BertModel Load(string folderOrHubId, HubOptions? hub) =>
        Load(folderOrHubId, hub is null ? null : new LoadOptions { Hub = hub });

    /// <summary>Same, with load options: int8 quantization (<see cref="LoadOptions.Quantization"/>) and hub settings.</summary>
    /// <param name="options">null = <see cref="LoadOptions.Default"/> (fp32, hub settings from the environment)</param>
    public static BertModel Load(string folderOrHubId, LoadOptions? options)
    {
        string directory = ModelResolver.Resolve(folderOrHubId, options?.Hub);
        using var checkpoint = Checkpoint.Open(directory);
        return Load(checkpoint, options);
    }

    /// <summary>
    /// Builds the encoder from an open checkpoint (task heads use this to read their own tensors from the same files).
    /// The tokenizer and sentence-transformers files come from the checkpoint's folder. The checkpoint may be disposed
    /// afterwards: the model keeps its own copies of the weights.
    /// </summary>
    public static BertModel Load(Checkpoint checkpoint) => Load(checkpoint, options: null);

    /// <summary>Same, with load options (<see cref="LoadOptions.Hub"/> is not used: the checkpoint is open already).</summary>
    public static BertModel Load(Checkpoint checkpoint, LoadOptions? options)
    {
        string directory = checkpoint.Directory;
        BertTokenizer? tokenizer =
            File.Exists(Path.Combine(directory, "tokenizer.json")) || File.Exists(Path.Combine(directory, "vocab.txt"))
                ? BertTokenizer.FromDirectory(directory)
                : null;
        var st = SentenceTransformersConfig.TryLoad(directory);
        options ??= LoadOptions.Default;
        return new BertModel(directory, checkpoint, tokenizer, st, options);
    }

    /// <summary>
    /// Each thread that runs the model keeps its scratch memory (activations of one forward pass) for the next call
    /// when it is at most this many bytes, so same-sized calls allocate nothing; a bigger one is dropped after the call.
    /// Default 64 MB: all-MiniLM-L6-v2 at batch 32 × 128 tokens needs ~63 MB, bert-base at 32 × 128 ~126 MB (raise the
    /// limit for zero-allocation serving of such batches; ≤ 0 keeps nothing). Process-wide; read at the end of each call.
    /// </summary>
    public static long WorkspaceCacheLimitBytes { get; set; } = 64L << 20;

    /// <summary>The tokenizer, or a clear error when the folder has none.</summary>
    public BertTokenizer RequireTokenizer() => Tokenizer ??
        throw new BertInputException($"model folder '{Directory}' has no tokenizer (tokenizer.json or vocab.txt); pass token ids instead");

    /// <summary>
    /// Tokenizes texts (and optional pairs) with the model's tokenizer and runs them as one padded batch:
    /// tokenize (applying the long-input policy) → batch → <see cref="Run(BertBatch, RunOptions?)"/>.
    /// Sliding windows take one extra forward pass per long text (<see cref="LongInputs"/>), cancellation checked between them.
    /// </summary>
    public ModelOutput Run(IReadOnlyList<string> texts, IReadOnlyList<string?>? textPairs = null, RunOptions? options = null,
        LongInputOptions? longInputs = null)
    {
        options ??= RunOptions.Default;
        longInputs ??= LongInputOptions.Default;
        TokenizedTexts tokens = LongInputs.Tokenize(this, texts, textPairs, longInputs, options);
        BertBatch batch = BertBatch.FromEncodings(tokens.Encodings, RequireTokenizer().PadTokenId);
        if (tokens.Windowed.Count > 0) return LongInputs.RunWithWindows(this, tokens, batch, longInputs, options);
        ModelOutput output = Run(batch, options);
        return new ModelOutput(batch, output.HiddenSize, output.NumHeads, output.LastHiddenState, output.PoolerOutput,
            output.HiddenStates, output.Attentions, tokens.Truncated);
    }

    /// <summary>
    /// Runs the model on a batch of token ids: embeddings → encoder → pooler. Each row is computed up to its last real
    /// token; padded positions of the outputs are zero. Throws <see cref="BertInputException"/> for rows longer than
    /// max_position_embeddings, <see cref="OperationCanceledException"/> when <see cref="RunOptions.CancellationToken"/>
    /// is cancelled (checked before the embeddings and before each layer).
    /// </summary>
    public ModelOutput Run(BertBatch batch, RunOptions? options = null)
    {
        options ??= RunOptions.Default;
        int h = Config.HiddenSize;
        List<float[]>? hiddenStates = options.OutputHiddenStates ? new() : null;
        List<float[]>? attentions = options.OutputAttentions ? new() : null;
        using Workspace ws = Encode(batch, options.MaxThreads, options.CancellationToken, hiddenStates, attentions);
        PackedSequences packed = ws.Packed;
        ReadOnlySpan<float> x = ws.Hidden.AsSpan(0, packed.TotalTokens * h);
        float[] last = hiddenStates is not null ? hiddenStates[^1] : packed.Unpack(x, h);
        float[]? pooled = null;
        if (Pooler is not null)
        {
            pooled = new float[batch.BatchSize * h];
            Pooler.Forward(x, packed, pooled);
        }
        return new ModelOutput(batch, h, Config.NumAttentionHeads, last, pooled, hiddenStates, attentions);
    }

    /// <summary>
    /// The allocation-free form for serving loops: writes last_hidden_state [batch, seq, hidden] (padded rows zero)
    /// and, when given and the checkpoint has a pooler, pooler_output [batch, hidden] into the caller's buffers.
    /// After the first call of a given size, nothing is allocated (the scratch workspace is kept per thread).
    /// </summary>
    public void RunInto(BertBatch batch, Span<float> lastHiddenState, Span<float> poolerOutput = default, int maxThreads = 0) =>
        RunInto(batch, lastHiddenState, poolerOutput, maxThreads, CancellationToken.None);

    /// <summary>
    /// Same, cancellable: throws <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> is
    /// cancelled before the embeddings or before a layer; the output buffers then hold unspecified values.
    /// </summary>
    /// <param name="maxThreads">thread budget; ≤ 0 = all cores, 1 = the calling thread only</param>
    public void RunInto(BertBatch batch, Span<float> lastHiddenState, Span<float> poolerOutput, int maxThreads,
        CancellationToken cancellationToken)
    {
        int h = Config.HiddenSize;
        if (lastHiddenState.Length < batch.BatchSize * batch.SequenceLength * h)
            throw new ArgumentException($"lastHiddenState has {lastHiddenState.Length} floats, needs [{batch.BatchSize},{batch.SequenceLength},{h}]", nameof(lastHiddenState));
        if (!poolerOutput.IsEmpty && poolerOutput.Length < batch.BatchSize * h)
            throw new ArgumentException($"poolerOutput has {poolerOutput.Length} floats, needs [{batch.BatchSize},{h}]", nameof(poolerOutput));
        using Workspace ws = Encode(batch, maxThreads, cancellationToken, null, null);
        ReadOnlySpan<float> x = ws.Hidden.AsSpan(0, ws.Packed.TotalTokens * h);
        ws.Packed.Unpack(x, h, lastHiddenState);
        if (!poolerOutput.IsEmpty && Pooler is not null) Pooler.Forward(x, ws.Packed, poolerOutput);
    }

    /// <summary>
    /// Embeddings and every layer; the final hidden state stays packed in the returned workspace's Hidden.
    /// Any exception (bad input, cancellation) gives the workspace back to this thread before it leaves: every call
    /// re-initialises the workspace from the batch, so a cancelled call leaves nothing behind for the next one.
    /// </summary>
    private Workspace Encode(BertBatch batch, int maxThreads, CancellationToken cancellationToken,
        List<float[]>? hiddenStates, List<float[]>? attentions)
    {
        Workspace ws = Workspace.Rent(batch, Config.HiddenSize, Config.IntermediateSize, Config.HeadDim,
            Embeddings.Projection is null ? 0 : Config.EmbeddingSize);
        try
        {
            PackedSequences packed = ws.Packed;
            for (int b = 0; b < batch.BatchSize; b++)
                if (packed.Lengths[b] > Config.MaxPositionEmbeddings)
                    throw new BertInputException(
                        $"row {b} has {packed.Lengths[b]} tokens but the model has {Config.MaxPositionEmbeddings} positions (max_position_embeddings); " +
                        "truncate it or use LongInputPolicy.Truncate / LongInputPolicy.SlidingWindow");
            var context = new ForwardContext(batch, ws, maxThreads, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            Embeddings.Forward(batch, ws, maxThreads);
            Encoder.Forward(ws.Hidden, context, hiddenStates, attentions);
            return ws;
        }
        catch
        {
            ws.Dispose();
            throw;
        }
    }
}
