using BertSharp.Weights;

namespace BertSharp.Engine.Model;

/// <summary>
/// HF BertEncoder: num_hidden_layers <see cref="BertLayer"/>s applied in order (DistilBERT's Transformer, MPNetEncoder,
/// whose relative position bias, one table for all layers, lives here and is handed to every layer's attention).
/// </summary>
public sealed class BertEncoder
{
    public IReadOnlyList<BertLayer> Layers { get; }
    /// <summary>MPNet's relative_attention_bias; null for every other family.</summary>
    public RelativePositionBias? RelativeBias { get; }
    private readonly int _hidden, _heads;

    /// <param name="calibration">with a plan that smooths: every layer is first built fp32, one at a time, and run on
    /// the calibration batch (<see cref="SmoothingCalibration.ObserveAll"/>); then the layers are built as the plan says
    /// with the statistics they gave. Calibrating all layers before building any keeps the load's peak memory at the
    /// quantized model's size: the fp32 layer of the moment never coexists with the int8 layers (docs/int8.md).</param>
    internal BertEncoder(Checkpoint checkpoint, BertConfig config, QuantizationPlan plan, SmoothingCalibration? calibration = null)
    {
        _hidden = config.HiddenSize; _heads = config.NumAttentionHeads;
        var layers = new BertLayer[config.NumHiddenLayers];
        if (config.Encoder.HasRelativeAttentionBias) RelativeBias = new RelativePositionBias(checkpoint, config);
        RelativePositionBias? bias = RelativeBias;
        float[][][]? inputMaxAbs = calibration?.ObserveAll(layers.Length,
            i => new BertLayer(checkpoint, config, i, bias, QuantizationPlan.Float32));
        for (int i = 0; i < layers.Length; i++)
            layers[i] = new BertLayer(checkpoint, config, i, RelativeBias, plan, inputMaxAbs?[i]);
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
