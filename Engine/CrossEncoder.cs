using System.Text.Json;
using BertSharp.Engine.Model.Heads;
using BertSharp.Engine.SentenceTransformers;
using BertSharp.Tokenization;

namespace BertSharp.Engine;

/// <summary>A reranked document: its index in the input list, its score, its text.</summary>
public sealed record RerankResult(int Index, float Score, string Text);

/// <summary>
/// sentence-transformers' CrossEncoder (cross_encoder/CrossEncoder.py, read at 5.2.0.dev0, commit 85ec645) over a
/// BertForSequenceClassification: (query, document) pairs in, one score per pair (per label) out.
/// <list type="bullet">
/// <item>Activation: config.json "sentence_transformers": {"activation_fn": "torch.nn.modules.…"} (or the pre-v4 key
/// "sbert_ce_default_activation_function"); else Sigmoid for one label, Identity for several
/// (get_default_activation_fn). Per call: another activation, or raw logits (Identity).</item>
/// <item>Softmax over the labels only when asked (predict's apply_softmax).</item>
/// <item>Pairs are tokenized [CLS] query [SEP] document [SEP], truncated longest-first to min(tokenizer
/// model_max_length, max_position_embeddings) (tokenizer(..., truncation=True)), padded per batch.</item>
/// <item><see cref="Rerank"/> = rank(): one label only; sorted by score, descending, equal scores in input order
/// (Python's stable sort); top_k.</item>
/// </list>
/// Immutable after load and safe to share between threads.
/// </summary>
public sealed class CrossEncoder
{
    public BertForSequenceClassification Model { get; }
    public int NumLabels => Model.NumLabels;
    /// <summary>The default activation on the logits.</summary>
    public TorchActivation Activation { get; }
    /// <summary>Tokens per pair after truncation: min(tokenizer model_max_length, max_position_embeddings).</summary>
    public int MaxLength { get; }
    /// <summary>Pairs per forward pass.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Thread budget per forward pass (≤ 0 = all cores).</summary>
    public int MaxThreads { get; init; }

    public CrossEncoder(BertForSequenceClassification model, TorchActivation? activation = null)
    {
        Model = model;
        BertTokenizer tokenizer = model.Bert.RequireTokenizer();
        MaxLength = Math.Min(tokenizer.ModelMaxLength ?? int.MaxValue, model.Config.MaxPositionEmbeddings);
        Activation = activation ?? ConfiguredActivation(model.Bert.Directory) ??
            (model.NumLabels == 1 ? TorchActivation.Sigmoid : TorchActivation.Identity);
    }

    /// <param name="directory">a model folder or hub id of a BertForSequenceClassification checkpoint</param>
    public static CrossEncoder Load(string directory, TorchActivation? activation = null) =>
        new(BertForSequenceClassification.Load(directory), activation);

    /// <param name="options">int8 quantization of the encoder, hub settings; null = fp32</param>
    public static CrossEncoder Load(string directory, LoadOptions? options, TorchActivation? activation = null) =>
        new(BertForSequenceClassification.Load(directory, options), activation);

    /// <summary>
    /// Scores [pairs][labels]: activation(logits), then softmax over the labels when <paramref name="applySoftmax"/>
    /// and there are several. <paramref name="activation"/> null = <see cref="Activation"/>; Identity = raw logits.
    /// <paramref name="truncate"/> false: a pair longer than <see cref="MaxLength"/> is an error naming it and its
    /// length (TEI's truncate=false) instead of being cut.
    /// </summary>
    public float[][] Predict(IReadOnlyList<(string Query, string Document)> pairs, TorchActivation? activation = null,
        bool applySoftmax = false, bool truncate = true, CancellationToken cancellationToken = default)
    {
        BertTokenizer tokenizer = Model.Bert.RequireTokenizer();
        var cut = new EncodeOptions { MaxLength = MaxLength, Truncation = TruncationStrategy.LongestFirst };
        var result = new float[pairs.Count][];
        var options = new RunOptions { MaxThreads = MaxThreads, CancellationToken = cancellationToken };
        int labels = NumLabels;
        var encodings = new List<Encoding>(BatchSize);
        for (int start = 0; start < pairs.Count; start += BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            encodings.Clear();
            for (int i = start; i < Math.Min(pairs.Count, start + BatchSize); i++)
            {
                var (q, d) = pairs[i];
                if (q is null || d is null) throw new BertInputException($"pair {i} has a null {(q is null ? "query" : "document")}");
                if (truncate) encodings.Add(tokenizer.Encode(q, d, cut));
                else
                {
                    Encoding e = tokenizer.Encode(q, d);
                    if (e.Ids.Length > MaxLength)
                        throw new BertInputException($"pair {i} has {e.Ids.Length} tokens but the model accepts at most {MaxLength}; allow truncation");
                    encodings.Add(e);
                }
            }
            SequenceClassifierOutput o = Model.Run(BertBatch.FromEncodings(encodings, tokenizer.PadTokenId), options);
            for (int b = 0; b < encodings.Count; b++)
            {
                float[] row = o.Logits.AsSpan(b * labels, labels).ToArray();
                TorchActivations.Apply(activation ?? Activation, row);
                if (applySoftmax && labels > 1) Tasks.Scoring.SoftmaxInPlace(row);
                result[start + b] = row;
            }
        }
        return result;
    }

    /// <summary>One score per document for (query, document): the one-label model's activated logit.</summary>
    public float[] Score(string query, IReadOnlyList<string> documents, TorchActivation? activation = null,
        bool truncate = true, CancellationToken cancellationToken = default)
    {
        RequireOneLabel();
        var pairs = new (string, string)[documents.Count];
        for (int i = 0; i < pairs.Length; i++) pairs[i] = (query, documents[i]);
        float[][] scores = Predict(pairs, activation, false, truncate, cancellationToken);
        var result = new float[scores.Length];
        for (int i = 0; i < result.Length; i++) result[i] = scores[i][0];
        return result;
    }

    /// <summary>
    /// The documents sorted by score, best first (equal scores in input order), at most <paramref name="topK"/>
    /// (null = all). One-label models only, as CrossEncoder.rank().
    /// </summary>
    public IReadOnlyList<RerankResult> Rerank(string query, IReadOnlyList<string> documents, int? topK = null,
        TorchActivation? activation = null, bool truncate = true, CancellationToken cancellationToken = default)
    {
        if (topK is < 1) throw new BertInputException($"top-k {topK} must be at least 1");
        float[] scores = Score(query, documents, activation, truncate, cancellationToken);
        var order = new int[scores.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        // Stable descending; NaN last.
        Array.Sort(order, (a, b) =>
        {
            float sa = scores[a], sb = scores[b];
            int c = float.IsNaN(sa) || float.IsNaN(sb) ? float.IsNaN(sa).CompareTo(float.IsNaN(sb)) : sb.CompareTo(sa);
            return c != 0 ? c : a.CompareTo(b);
        });
        int n = Math.Min(order.Length, topK ?? order.Length);
        var results = new RerankResult[n];
        for (int k = 0; k < n; k++) results[k] = new RerankResult(order[k], scores[order[k]], documents[order[k]]);
        return results;
    }

    private void RequireOneLabel()
    {
        if (NumLabels != 1)
            throw new BertInputException($"reranking needs a cross-encoder with one label; this model has {NumLabels} ({string.Join(", ", Model.Labels)}): use Predict on pairs instead");
    }

    /// <summary>config.json sentence_transformers.activation_fn, else sbert_ce_default_activation_function, else null.</summary>
    private static TorchActivation? ConfiguredActivation(string directory)
    {
        string path = Path.Combine(directory, "config.json");
        if (!File.Exists(path)) return null;
        using JsonDocument doc = SentenceTransformersConfig.Parse(path);
        JsonElement root = doc.RootElement;
        string? name = null;
        if (root.TryGetProperty("sentence_transformers", out var st) && st.ValueKind == JsonValueKind.Object &&
            st.TryGetProperty("activation_fn", out var a) && a.ValueKind == JsonValueKind.String)
            name = a.GetString();
        else if (root.TryGetProperty("sbert_ce_default_activation_function", out var legacy) && legacy.ValueKind == JsonValueKind.String)
            name = legacy.GetString();
        // sentence-transformers ignores (with a warning) a path outside torch.* unless trust_remote_code; so do we.
        if (name is null || !name.StartsWith("torch.", StringComparison.Ordinal)) return null;
        return TorchActivations.Parse(name, path);
    }
}
