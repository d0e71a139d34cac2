using BertSharp.Engine.Kernels;
using BertSharp.Weights;

namespace BertSharp.Engine.Model.Reference;

/// <summary>
/// The whole BERT forward pass (Hugging Face BertModel) written plainly: one short method per Hugging Face module, in
/// the order modeling_bert.py runs them, with the kernels' reference forms (plain loops) and no threads, packing or
/// scratch reuse. The other families run the same code with their <see cref="EncoderArchitecture"/>'s differences
/// spelled out where they happen: RoBERTa-style positions and no token types (<see cref="Embeddings"/>), ELECTRA's
/// projection, MPNet's relative position bias (<see cref="Layer"/>). It is the teaching path — start at <see cref="Run(BertBatch, bool, bool)"/> and follow one row — and the oracle
/// the fast engine (<see cref="BertModel"/>) is tested against. Its weights are read from the checkpoint exactly as
/// stored (linear weights [out, in]), independently of the fast engine's loaders and packed layouts.
/// Shapes: len = the row's tokens up to its last real one; hidden = heads · d.
/// </summary>
public sealed class ReferenceBertModel
{
    /// <summary>y = x·Wᵀ + b with W: [out, in], b: [out] (torch.nn.Linear).</summary>
    public sealed record Linear(float[] Weight, float[] Bias, int Out, int In)
    {
        /// <summary>x: [rows, in] → [rows, out] (+ residual: [rows, out] when given).</summary>
        public float[] Forward(float[] x, int rows, float[]? residual = null)
        {
            var y = new float[rows * Out];
            GemmReference.Linear(x, rows, In, Weight, Out, Bias, y, residual);
            return y;
        }
    }

    /// <summary>LayerNorm over the last dimension: γ (HF "weight"), β (HF "bias"), eps from config.json.</summary>
    public sealed record LayerNormWeights(float[] Gamma, float[] Beta, float Eps)
    {
        /// <summary>x: [rows, n] → [rows, n].</summary>
        public float[] Forward(float[] x, int rows)
        {
            var y = new float[x.Length];
            LayerNorm.Reference(x, rows, Gamma.Length, Gamma, Beta, Eps, y);
            return y;
        }
    }

    /// <summary>One encoder layer's parameters, named as the HF modules that own them.</summary>
    public sealed record LayerWeights(Linear Query, Linear Key, Linear Value, Linear AttentionOutputDense,
        LayerNormWeights AttentionOutputLayerNorm, Linear IntermediateDense, Linear OutputDense, LayerNormWeights OutputLayerNorm);

    public BertConfig Config { get; }
    /// <summary>[vocab, E], [max_position_embeddings, E], [type_vocab_size, E] with E = embedding_size (= hidden but for ELECTRA).</summary>
    public float[] WordEmbeddings { get; }
    public float[] PositionEmbeddings { get; }
    /// <summary>Null for DistilBERT and MPNet (no token types).</summary>
    public float[]? TokenTypeEmbeddings { get; }
    public LayerNormWeights EmbeddingsLayerNorm { get; }
    /// <summary>ELECTRA's embeddings_project [hidden, E] when E ≠ hidden; else null.</summary>
    public Linear? EmbeddingsProject { get; }
    public IReadOnlyList<LayerWeights> Layers { get; }
    /// <summary>MPNet's relative_attention_bias [relative_attention_num_buckets, heads], used by every layer; else null.</summary>
    public float[]? RelativeAttentionBias { get; }
    /// <summary>Null when the checkpoint has no pooler (DistilBERT and ELECTRA never have one).</summary>
    public Linear? PoolerDense { get; }

    private ReferenceBertModel(Checkpoint checkpoint)
    {
        BertConfig c = Config = checkpoint.Config;
        EncoderParameterNames names = EncoderParameterNames.For(c.Encoder);
        int h = c.HiddenSize, e = c.EmbeddingSize, inter = c.IntermediateSize;
        WordEmbeddings = checkpoint.ReadFloat32(names.WordEmbeddings, c.VocabSize, e);
        PositionEmbeddings = checkpoint.ReadFloat32(names.PositionEmbeddings, c.MaxPositionEmbeddings, e);
        if (names.TokenTypeEmbeddings is not null) TokenTypeEmbeddings = checkpoint.ReadFloat32(names.TokenTypeEmbeddings, c.TypeVocabSize, e);
        EmbeddingsLayerNorm = Norm(checkpoint, names.EmbeddingsLayerNormWeight, names.EmbeddingsLayerNormBias, e);
        if (EncoderParameterNames.ProjectsEmbeddings(c))
            EmbeddingsProject = Dense(checkpoint, names.EmbeddingsProjectWeight!, names.EmbeddingsProjectBias!, h, e);
        if (names.RelativeAttentionBias is not null)
            RelativeAttentionBias = checkpoint.ReadFloat32(names.RelativeAttentionBias, c.RelativeAttentionNumBuckets, c.NumAttentionHeads);
        var layers = new LayerWeights[c.NumHiddenLayers];
        for (int i = 0; i < layers.Length; i++)
        {
            BertLayerParameterNames n = names.Layer(i);
            layers[i] = new LayerWeights(
                Dense(checkpoint, n.QueryWeight, n.QueryBias, h, h),
                Dense(checkpoint, n.KeyWeight, n.KeyBias, h, h),
                Dense(checkpoint, n.ValueWeight, n.ValueBias, h, h),
                Dense(checkpoint, n.AttentionOutputDenseWeight, n.AttentionOutputDenseBias, h, h),
                Norm(checkpoint, n.AttentionOutputLayerNormWeight, n.AttentionOutputLayerNormBias, h),
                Dense(checkpoint, n.IntermediateDenseWeight, n.IntermediateDenseBias, inter, h),
                Dense(checkpoint, n.OutputDenseWeight, n.OutputDenseBias, h, inter),
                Norm(checkpoint, n.OutputLayerNormWeight, n.OutputLayerNormBias, h));
        }
        Layers = layers;
        PoolerDense = c.Encoder.CanHavePooler && checkpoint.Contains(names.PoolerDenseWeight)
            ? Dense(checkpoint, names.PoolerDenseWeight, names.PoolerDenseBias, h, h) : null;
    }

    private static Linear Dense(Checkpoint checkpoint, string weight, string bias, int outFeatures, int inFeatures) =>
        new(checkpoint.ReadFloat32(weight, outFeatures, inFeatures), checkpoint.ReadFloat32(bias, outFeatures), outFeatures, inFeatures);

    private LayerNormWeights Norm(Checkpoint checkpoint, string gamma, string beta, int size) =>
        new(checkpoint.ReadFloat32(gamma, size), checkpoint.ReadFloat32(beta, size), Config.LayerNormEps);

    /// <summary>Reads config.json and the safetensors weights of a model folder.</summary>
    public static ReferenceBertModel Load(string directory)
    {
        using var checkpoint = Checkpoint.Open(directory);
        return new ReferenceBertModel(checkpoint);
    }

    public static ReferenceBertModel Load(Checkpoint checkpoint) => new(checkpoint);

    /// <summary>
    /// HF BertModel.forward on a padded batch, row by row: embeddings → each layer → pooler. Outputs have the fast
    /// engine's layout ([batch, seq, hidden], padded positions zero) so the two compare element by element.
    /// </summary>
    public ModelOutput Run(BertBatch batch, bool outputHiddenStates = false, bool outputAttentions = false)
    {
        int h = Config.HiddenSize, t = batch.SequenceLength, heads = Config.NumAttentionHeads, layers = Layers.Count;
        var hiddenStates = new float[layers + 1][];
        for (int l = 0; l <= layers; l++) hiddenStates[l] = new float[batch.BatchSize * t * h];
        float[][] attentions = new float[outputAttentions ? layers : 0][];
        for (int l = 0; l < attentions.Length; l++) attentions[l] = new float[batch.BatchSize * heads * t * t];
        float[]? pooled = PoolerDense is null ? null : new float[batch.BatchSize * h];

        for (int b = 0; b < batch.BatchSize; b++)
        {
            int len = batch.ActiveLength(b);
            if (len == 0) continue;
            ReadOnlySpan<int> ids = batch.InputIds.AsSpan(b * t, len);
            ReadOnlySpan<int> types = batch.TokenTypeIds.AsSpan(b * t, len);
            ReadOnlySpan<int> mask = batch.AttentionMask.AsSpan(b * t, len);

            float[] x = Embeddings(ids, types);                                  // [len, hidden]
            x.CopyTo(hiddenStates[0], b * t * h);
            for (int l = 0; l < layers; l++)
            {
                ReferenceLayerTrace layer = Layer(l, x, len, mask);
                x = layer.Output;                                                // [len, hidden]
                x.CopyTo(hiddenStates[l + 1], b * t * h);
                if (outputAttentions)
                    for (int head = 0; head < heads; head++)
                        for (int i = 0; i < len; i++)
                            layer.Probabilities.AsSpan((head * len + i) * len, len).CopyTo(attentions[l].AsSpan(((b * heads + head) * t + i) * t));
            }
            if (pooled is not null) Pooler(x).CopyTo(pooled, b * h);
        }
        return new ModelOutput(batch, h, heads, hiddenStates[layers], pooled, outputHiddenStates ? hiddenStates : null,
            outputAttentions ? attentions : null);
    }

    /// <summary>
    /// The encoder's input, hidden_states[0]: <see cref="EmbeddingsOutput"/>, then ELECTRA's embeddings_project
    /// (ElectraModel.forward). ids, types: [len] → [len, hidden].
    /// </summary>
    public float[] Embeddings(ReadOnlySpan<int> ids, ReadOnlySpan<int> types)
    {
        float[] x = EmbeddingsOutput(ids, types);
        return EmbeddingsProject is null ? x : EmbeddingsProject.Forward(x, ids.Length);
    }

    /// <summary>
    /// HF BertEmbeddings (RobertaEmbeddings, DistilBERT's Embeddings, ElectraEmbeddings, MPNetEmbeddings):
    /// LayerNorm(word_embeddings[id] + token_type_embeddings[type] + position_embeddings[position]), the token type
    /// term absent for DistilBERT and MPNet. Positions: 0 … len − 1, or for RoBERTa-style models (padding_idx p)
    /// p + the count of non-pad ids so far, and p for pad ids (create_position_ids_from_input_ids).
    /// ids, types: [len] → [len, E]. Dropout is off at inference.
    /// </summary>
    public float[] EmbeddingsOutput(ReadOnlySpan<int> ids, ReadOnlySpan<int> types)
    {
        int e = Config.EmbeddingSize, len = ids.Length, pad = Config.PositionPaddingIdx;
        var sum = new float[len * e];
        int nonPad = 0;
        for (int t = 0; t < len; t++)
        {
            int position = t;
            if (Config.Encoder.Positions == PositionScheme.AfterPadding)
            {
                if (ids[t] != pad) nonPad++;
                position = ids[t] != pad ? pad + nonPad : pad;
            }
            for (int c = 0; c < e; c++)
            {
                float typ = TokenTypeEmbeddings is null ? 0f : TokenTypeEmbeddings[types[t] * e + c];
                sum[t * e + c] = WordEmbeddings[ids[t] * e + c] + typ + PositionEmbeddings[position * e + c];
            }
        }
        return EmbeddingsLayerNorm.Forward(sum, len);
    }

    /// <summary>
    /// HF BertLayer on one row: self-attention (BertSelfAttention), attention output (BertSelfOutput: dense, residual,
    /// LayerNorm), intermediate (BertIntermediate: dense, hidden_act) and output (BertOutput: dense, residual, LayerNorm).
    /// x: [len, hidden]; mask: [len], 0 = a key no query may attend to. Every intermediate is kept in the trace.
    /// </summary>
    public ReferenceLayerTrace Layer(int index, float[] x, int len, ReadOnlySpan<int> mask)
    {
        LayerWeights w = Layers[index];
        int heads = Config.NumAttentionHeads, d = Config.HeadDim, h = Config.HiddenSize;

        // BertSelfAttention: q, k, v = x·Wᵀ + b, each [len, hidden]; per head, scores = q·kᵀ/√d (+ MPNet's
        // relative_attention_bias[bucket(j − i), head], compute_position_bias), softmax, · v.
        float[] q = w.Query.Forward(x, len), k = w.Key.Forward(x, len), v = w.Value.Forward(x, len);
        var scores = new float[heads * len * len];
        var probabilities = new float[heads * len * len];
        var context = new float[len * h];
        double scale = 1.0 / Math.Sqrt(d);
        for (int head = 0; head < heads; head++)
        {
            for (int i = 0; i < len; i++)
            {
                Span<float> s = scores.AsSpan((head * len + i) * len, len);
                for (int j = 0; j < len; j++)
                {
                    if (mask[j] == 0) { s[j] = float.NegativeInfinity; continue; }
                    double dot = 0;
                    for (int p = 0; p < d; p++) dot += (double)q[i * h + head * d + p] * k[j * h + head * d + p];
                    s[j] = (float)(dot * scale);
                    if (RelativeAttentionBias is not null)
                        s[j] += RelativeAttentionBias[RelativePositionBias.Bucket(j - i) * heads + head];
                }
                Span<float> pr = probabilities.AsSpan((head * len + i) * len, len);
                s.CopyTo(pr);
                Softmax.Reference(pr);
                for (int p = 0; p < d; p++)
                {
                    double c = 0;
                    for (int j = 0; j < len; j++) c += (double)pr[j] * v[j * h + head * d + p];
                    context[i * h + head * d + p] = (float)c;
                }
            }
        }

        // BertSelfOutput: a = LayerNorm(context·Woᵀ + bo + x).
        float[] a = w.AttentionOutputLayerNorm.Forward(w.AttentionOutputDense.Forward(context, len, residual: x), len);

        // BertIntermediate: act(a·Wiᵀ + bi), [len, intermediate].
        float[] intermediate = w.IntermediateDense.Forward(a, len);
        ActivationFunction.ApplyReference(Config.HiddenAct, intermediate);

        // BertOutput: y = LayerNorm(intermediate·Wₒᵀ + bₒ + a).
        float[] y = w.OutputLayerNorm.Forward(w.OutputDense.Forward(intermediate, len, residual: a), len);

        return new ReferenceLayerTrace
        {
            Query = q, Key = k, Value = v, Scores = scores, Probabilities = probabilities, Context = context,
            AttentionOutput = a, Intermediate = intermediate, Output = y, Length = len, Heads = heads, HeadDim = d,
        };
    }

    /// <summary>HF BertPooler: tanh(dense(hidden state of the first token, [CLS])). x: [len, hidden] → [hidden].</summary>
    public float[] Pooler(float[] x)
    {
        Linear dense = PoolerDense ?? throw new InvalidOperationException("this checkpoint has no pooler (pooler.dense.weight)");
        float[] y = dense.Forward(x.AsSpan(0, Config.HiddenSize).ToArray(), 1);
        Activations.TanhReference(y);
        return y;
    }
}
