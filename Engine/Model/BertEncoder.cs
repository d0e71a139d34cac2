using BertSharp.Weights;

namespace BertSharp.Engine.Model;

/// <summary>HF BertEncoder: num_hidden_layers <see cref="BertLayer"/>s applied in order.</summary>
public sealed class BertEncoder
{
    public IReadOnlyList<BertLayer> Layers { get; }
    private readonly int _hidden, _heads;

    internal BertEncoder(Checkpoint checkpoint, BertConfig config, QuantizationPlan plan)
    {
        _hidden = config.HiddenSize; _heads = config.NumAttentionHeads;
        var layers = new BertLayer[config.NumHiddenLayers];
        for (int i = 0; i < layers.Length; i++) layers[i] = new BertLayer(checkpoint, config, i, plan);
        Layers = layers;
    }

    /// <summary>
    /// x: [TotalTokens, hidden], the embeddings, becomes the last layer's output. When given, hiddenStates receives the
    /// input and every layer's output unpacked to [batch, seq, hidden] (HF hidden_states), attentions every layer's
    /// probabilities [batch, heads, seq, seq]. Cancellation is checked before each layer.
    /// </summary>
    internal void Forward(float[] x, in ForwardContext context, List<float[]>? hiddenStates, List<float[]>? attentions)
    {
        PackedSequences packed = context.Packed;
        int h = _hidden, t = context.Batch.SequenceLength;
        hiddenStates?.Add(packed.Unpack(x.AsSpan(0, packed.TotalTokens * h), h));
        for (int i = 0; i < Layers.Count; i++)   // indexed: foreach over the interface would allocate an enumerator
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            float[]? probabilities = attentions is null ? null : new float[context.Batch.BatchSize * _heads * t * t];
            Layers[i].Forward(x, context, probabilities);
            if (probabilities is not null) attentions!.Add(probabilities);
            hiddenStates?.Add(packed.Unpack(x.AsSpan(0, packed.TotalTokens * h), h));
        }
    }
}
