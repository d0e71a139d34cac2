using BertSharp.Weights;
using N = BertSharp.Weights.BertParameterNames;

namespace BertSharp.Engine.Model.Heads;

/// <summary>
/// HF BertLMPredictionHead (cls.predictions): logits = decoder(LayerNorm(act(transform.dense(h)))).
/// transform.dense: [hidden, hidden]; decoder weight [vocab, hidden] tied to the word embeddings (tie_word_embeddings,
/// default true), decoder bias [vocab] = cls.predictions.bias. act is config hidden_act, LayerNorm eps layer_norm_eps.
/// </summary>
public sealed class BertLMPredictionHead
{
    public Linear TransformDense { get; }
    public HiddenActivation Activation { get; }
    public LayerNormParameters TransformLayerNorm { get; }
    /// <summary>weight [vocab, hidden], bias [vocab].</summary>
    public Linear Decoder { get; }
    /// <summary>True when the decoder weight is the word-embedding matrix.</summary>
    public bool DecoderTied { get; }
    public int VocabSize => Decoder.OutFeatures;

    private BertLMPredictionHead(Linear dense, HiddenActivation act, LayerNormParameters ln, Linear decoder, bool tied)
    {
        TransformDense = dense; Activation = act; TransformLayerNorm = ln; Decoder = decoder; DecoderTied = tied;
    }

    /// <summary>The tensors this head reads; the decoder weight only when not tied.</summary>
    internal static IEnumerable<ExpectedTensor> Expected(Checkpoint checkpoint)
    {
        BertConfig c = checkpoint.Config;
        int h = c.HiddenSize, v = c.VocabSize;
        yield return new(N.MlmTransformDenseWeight, [h, h]);
        yield return new(N.MlmTransformDenseBias, [h]);
        yield return new(N.MlmTransformLayerNormWeight, [h]);
        yield return new(N.MlmTransformLayerNormBias, [h]);
        // Old conversions may carry only the decoder's copy of the bias.
        bool onlyDecoderBias = !checkpoint.Contains(N.MlmBias) && checkpoint.Contains(N.MlmDecoderBias);
        yield return new(onlyDecoderBias ? N.MlmDecoderBias : N.MlmBias, [v]);
        if (!c.TieWordEmbeddings) yield return new(N.MlmDecoderWeight, [v, h]);
    }

    /// <summary>Tied duplicates that may be stored without being unexpected.</summary>
    internal static readonly string[] OptionalTensors = [N.MlmDecoderWeight, N.MlmDecoderBias];

    /// <summary>
    /// The options the encoder of a masked-LM model is loaded with: a decoder tied to the word embeddings shares their
    /// fp32 table, so an int8 encoder keeps that table fp32 unless <see cref="LoadOptions.WordEmbeddingPrecision"/> says otherwise.
    /// </summary>
    internal static LoadOptions? EncoderOptions(BertConfig config, LoadOptions? options) =>
        options is { Quantization: WeightQuantization.Int8, WordEmbeddingPrecision: null } && config.TieWordEmbeddings
            ? options with { WordEmbeddingPrecision = EmbeddingTablePrecision.Float32 }
            : options;

    /// <param name="wordEmbeddingTable">[vocab, hidden] of the encoder, the tied decoder weight (must then be fp32)</param>
    internal static BertLMPredictionHead Load(Checkpoint checkpoint, EmbeddingTable wordEmbeddingTable)
    {
        BertConfig c = checkpoint.Config;
        int h = c.HiddenSize, v = c.VocabSize;
        Linear dense = LinearLoader.Load(checkpoint, N.MlmTransformDenseWeight, N.MlmTransformDenseBias, h, h);
        LayerNormParameters ln = LinearLoader.LoadLayerNorm(checkpoint, N.MlmTransformLayerNormWeight, N.MlmTransformLayerNormBias, h, c.LayerNormEps);

        float[] bias;
        if (checkpoint.Contains(N.MlmBias))
        {
            bias = checkpoint.ReadFloat32(N.MlmBias, v);
            if (checkpoint.Contains(N.MlmDecoderBias))
                RequireEqual(checkpoint, N.MlmDecoderBias, checkpoint.ReadFloat32(N.MlmDecoderBias, v), bias, N.MlmBias,
                    "cls.predictions.decoder.bias is the same parameter as cls.predictions.bias");
        }
        else bias = checkpoint.ReadFloat32(N.MlmDecoderBias, v);

        float[] weight;
        if (c.TieWordEmbeddings)
        {
            float[] wordEmbeddings = wordEmbeddingTable.Float32;
            weight = wordEmbeddings;
            // A stored copy of a tied weight must be the same tensor; transformers would silently use the embeddings.
            if (checkpoint.Contains(N.MlmDecoderWeight))
                RequireEqual(checkpoint, N.MlmDecoderWeight, checkpoint.ReadFloat32(N.MlmDecoderWeight, v, h), wordEmbeddings,
                    N.WordEmbeddings, "tie_word_embeddings is true (set it to false in config.json to use the stored decoder)");
        }
        else weight = checkpoint.ReadFloat32(N.MlmDecoderWeight, v, h);

        return new BertLMPredictionHead(dense, c.HiddenAct, ln, new Linear(weight, bias, v, h), c.TieWordEmbeddings);
    }

    private static void RequireEqual(Checkpoint checkpoint, string name, float[] stored, float[] tied, string tiedName, string why)
    {
        for (int i = 0; i < stored.Length; i++)
            if (stored[i] != tied[i] && !(float.IsNaN(stored[i]) && float.IsNaN(tied[i])))
                throw new CheckpointException(
                    $"{checkpoint.Directory}: tensor '{name}' differs from '{tiedName}' at element {i} ({stored[i]} vs {tied[i]}), but {why}");
    }

    /// <summary>hidden: [rows, hidden] → logits: [rows, vocab].</summary>
    public void Forward(ReadOnlySpan<float> hidden, int rows, Span<float> logits, int maxThreads = 0)
    {
        int h = TransformDense.OutFeatures;
        float[] t = System.Buffers.ArrayPool<float>.Shared.Rent(rows * h);
        try
        {
            Span<float> x = t.AsSpan(0, rows * h);
            TransformDense.Forward(hidden, rows, x, maxThreads);
            ActivationFunction.Apply(Activation, x);
            TransformLayerNorm.Apply(x, rows);
            Decoder.Forward(x, rows, logits, maxThreads);
        }
        finally { System.Buffers.ArrayPool<float>.Shared.Return(t); }
    }

    /// <summary>[batch, seq, vocab] for every computed token of the encoder output.</summary>
    internal float[] Forward(ModelOutput encoder, int maxThreads)
    {
        int v = VocabSize;
        var logits = new float[encoder.BatchSize * encoder.SequenceLength * v];
        TokenRows.Apply(encoder.Batch, encoder.LastHiddenState, encoder.HiddenSize, logits, v,
            (x, n, y) => Forward(x, n, y, maxThreads));
        return logits;
    }
}
