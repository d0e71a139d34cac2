using System.Text.Json;
using BertSharp.Engine.Model.Heads;
using BertSharp.Weights;

namespace BertSharp.Engine;

/// <summary>How SPLADE pools its per-token weights over the sequence (SpladePooling pooling_strategy).</summary>
public enum SpladePoolingStrategy { Max, Sum }

/// <summary>
/// SPLADE sparse vectors from a BertForMaskedLM checkpoint, as sentence-transformers' SparseEncoder computes them
/// (sparse_encoder/models/MLMTransformer.py + SpladePooling.py, read at 5.2.0.dev0, commit 85ec645): for every token,
/// w = log1p(relu(MLM logits · attention_mask)) over the vocabulary (activation "log1p_relu": log1p once more), then
/// max (or sum) over the sequence — padded positions give 0, so every weight is ≥ 0. Settings from
/// SpladePooling's config.json when modules.json names one, else max / relu. Inputs are truncated to max_seq_length
/// (sentence_bert_config.json), else min(tokenizer model_max_length, max_position_embeddings), as the Transformer
/// module does. Immutable after load and safe to share between threads.
/// </summary>
public sealed class SparseEncoder
{
    public BertForMaskedLM Model { get; }
    public SpladePoolingStrategy Strategy { get; }
    /// <summary>True for activation_function "log1p_relu" (log1p applied twice).</summary>
    public bool DoubleLog { get; }
    public int MaxLength { get; }
    /// <summary>The vocabulary size: width of every vector.</summary>
    public int Dimension => Model.Cls.VocabSize;
    public int BatchSize { get; init; } = 32;
    public int MaxThreads { get; init; }

    public SparseEncoder(BertForMaskedLM model)
    {
        Model = model;
        var tokenizer = model.Bert.RequireTokenizer();
        (Strategy, DoubleLog) = ReadPooling(model.Bert.Directory);
        MaxLength = model.Bert.SentenceTransformers?.MaxSeqLength is int m ? Math.Min(m, model.Config.MaxPositionEmbeddings)
            : Math.Min(tokenizer.ModelMaxLength ?? int.MaxValue, model.Config.MaxPositionEmbeddings);
    }

    /// <param name="directory">a model folder or hub id of a BertForMaskedLM checkpoint</param>
    public static SparseEncoder Load(string directory) => new(BertForMaskedLM.Load(directory));

    /// <param name="options">int8 quantization of the encoder (the MLM head stays fp32), hub settings; null = fp32</param>
    public static SparseEncoder Load(string directory, LoadOptions? options) => new(BertForMaskedLM.Load(directory, options));

    /// <summary>
    /// One sparse vector per text: every non-zero weight, or the <paramref name="topK"/> largest (max_active_dims).
    /// <paramref name="truncate"/> false: a text longer than <see cref="MaxLength"/> is an error naming it (TEI's truncate=false).
    /// </summary>
    public SparseVector[] Encode(IReadOnlyList<string> texts, int? topK = null, bool truncate = true,
        CancellationToken cancellationToken = default)
    {
        if (topK is < 1) throw new BertInputException($"top-k {topK} must be at least 1");
        int v = Dimension, h = Model.Config.HiddenSize;
        var result = new SparseVector[texts.Count];
        var options = new RunOptions { MaxThreads = MaxThreads, CancellationToken = cancellationToken };
        var longInputs = new LongInputOptions { Policy = truncate ? LongInputPolicy.Truncate : LongInputPolicy.Error, MaxLength = MaxLength };
        var chunk = new List<string>(BatchSize);
        const int TokensPerBlock = 16;                                   // logits scratch: [16, vocab]
        var logits = new float[TokensPerBlock * v];
        var pooled = new float[v];
        for (int start = 0; start < texts.Count; start += BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            chunk.Clear();
            for (int i = start; i < Math.Min(texts.Count, start + BatchSize); i++)
                chunk.Add(texts[i] ?? throw new BertInputException($"text {i} is null"));
            ModelOutput o = Model.Bert.Run(chunk, null, options, longInputs);
            int t = o.SequenceLength;
            for (int b = 0; b < chunk.Count; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Array.Clear(pooled);                                     // padded positions contribute log1p(relu(0)) = 0
                ReadOnlySpan<int> mask = o.AttentionMask.AsSpan(b * t, t);
                for (int t0 = 0; t0 < t; t0 += TokensPerBlock)
                {
                    int n = Math.Min(TokensPerBlock, t - t0);
                    Model.Cls.Forward(o.LastHiddenState.AsSpan((b * t + t0) * h, n * h), n, logits.AsSpan(0, n * v), MaxThreads);
                    for (int j = 0; j < n; j++)
                    {
                        if (mask[t0 + j] == 0) continue;
                        Span<float> row = logits.AsSpan(j * v, v);
                        // max: log1p∘relu is non-decreasing, so the max of the weights is the weight of the max logit
                        // (pooled starts at 0 = relu's floor); the logs run once per vocabulary entry, at the end.
                        if (Strategy == SpladePoolingStrategy.Max) System.Numerics.Tensors.TensorPrimitives.Max(pooled, row, pooled);
                        else
                        {
                            Weigh(row);
                            System.Numerics.Tensors.TensorPrimitives.Add(pooled, row, pooled);
                        }
                    }
                }
                if (Strategy == SpladePoolingStrategy.Max) Weigh(pooled);
                result[start + b] = SparseVector.FromDense(pooled, topK);
            }
        }
        return result;
    }

    /// <summary>
    /// x ← log1p(relu(x)) (log1p twice for log1p_relu). log(1 + x) in double keeps torch.log1p's accuracy for small x
    /// (in float32, 1 + x would round x away).
    /// </summary>
    private void Weigh(Span<float> x)
    {
        for (int k = 0; k < x.Length; k++)
        {
            double w = x[k] > 0 ? Math.Log(1.0 + x[k]) : 0.0;
            x[k] = (float)(DoubleLog ? Math.Log(1.0 + (float)w) : w);
        }
    }

    /// <summary>The SpladePooling module's config.json (pooling_strategy, activation_function), or max / relu.</summary>
    private static (SpladePoolingStrategy, bool) ReadPooling(string directory)
    {
        SentenceTransformersConfig? st = SentenceTransformersConfig.TryLoad(directory);
        if (st is null) return (SpladePoolingStrategy.Max, false);
        string modulesPath = Path.Combine(directory, "modules.json");
        foreach (SentenceModuleEntry e in st.Modules)
        {
            string cls = e.ClassName;
            if (cls is "MLMTransformer" or "Transformer") continue;
            if (cls != "SpladePooling")
                throw new ConfigException($"{modulesPath}: module {e.Index} '{e.Name}' ({e.Type}) is not supported by SparseEncoder (it runs MLMTransformer → SpladePooling)");
            string path = Path.Combine(directory, e.Path, "config.json");
            if (!File.Exists(path)) return (SpladePoolingStrategy.Max, false);
            using JsonDocument doc = SentenceTransformersConfig.Parse(path);
            JsonElement root = doc.RootElement;
            string strategy = root.TryGetProperty("pooling_strategy", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "max";
            string act = root.TryGetProperty("activation_function", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "relu";
            var pooling = strategy switch
            {
                "max" => SpladePoolingStrategy.Max,
                "sum" => SpladePoolingStrategy.Sum,
                _ => throw new ConfigException($"{path}: pooling_strategy '{strategy}' must be max or sum"),
            };
            bool twice = act switch
            {
                "relu" => false,
                "log1p_relu" => true,
                _ => throw new ConfigException($"{path}: activation_function '{act}' must be relu or log1p_relu"),
            };
            return (pooling, twice);
        }
        return (SpladePoolingStrategy.Max, false);
    }
}
