using BertSharp.Weights;

namespace BertSharp.Engine.Model;

/// <summary>
/// One post-LN Transformer encoder layer (HF BertLayer = BertAttention + BertIntermediate + BertOutput):
///   a  = LayerNorm₁(x + AttentionOutput(SelfAttention(x)))
///   y  = LayerNorm₂(a + Output(act(Intermediate(a))))
/// x, a, y: [TotalTokens, hidden]; the intermediate activation is [TotalTokens, intermediate_size].
/// Every family has this layer under other names (DistilBERT's TransformerBlock: q_lin…out_lin, sa_layer_norm, ffn.lin1/lin2,
/// output_layer_norm; MPNet's MPNetLayer: attn.q…o, attention.LayerNorm, …), see <see cref="BertLayerParameterNames"/>.
/// </summary>
public sealed class BertLayer
{
    public BertSelfAttention SelfAttention { get; }
    /// <summary>HF attention.output.dense: [hidden, hidden]</summary>
    public Linear AttentionOutput { get; }
    /// <summary>HF attention.output.LayerNorm</summary>
    public LayerNormParameters AttentionLayerNorm { get; }
    /// <summary>HF intermediate.dense: [intermediate, hidden]</summary>
    public Linear Intermediate { get; }
    /// <summary>HF output.dense: [hidden, intermediate]</summary>
    public Linear Output { get; }
    /// <summary>HF output.LayerNorm</summary>
    public LayerNormParameters OutputLayerNorm { get; }
    public HiddenActivation Activation { get; }

    /// <param name="inputMaxAbs">null, or per projection (query/key/value, attention output, intermediate, output) max |x|
    /// per input channel from <see cref="SmoothingCalibration"/></param>
    internal BertLayer(Checkpoint checkpoint, BertConfig config, int index, RelativePositionBias? relativeBias,
        QuantizationPlan plan, float[][]? inputMaxAbs = null)
    {
        BertLayerParameterNames n = EncoderParameterNames.For(config.Encoder).Layer(index);
        int h = config.HiddenSize, inter = config.IntermediateSize;
        float eps = config.LayerNormEps;
        SelfAttention = new BertSelfAttention(checkpoint, config, n, relativeBias, plan, inputMaxAbs?[0]);
        AttentionOutput = Load(n.AttentionOutputDenseWeight, n.AttentionOutputDenseBias, h, h, EncoderProjections.AttentionOutput, inputMaxAbs?[1]);
        AttentionLayerNorm = LinearLoader.LoadLayerNorm(checkpoint, n.AttentionOutputLayerNormWeight, n.AttentionOutputLayerNormBias, h, eps);
        Intermediate = Load(n.IntermediateDenseWeight, n.IntermediateDenseBias, inter, h, EncoderProjections.Intermediate, inputMaxAbs?[2]);
        Output = Load(n.OutputDenseWeight, n.OutputDenseBias, h, inter, EncoderProjections.Output, inputMaxAbs?[3]);
        OutputLayerNorm = LinearLoader.LoadLayerNorm(checkpoint, n.OutputLayerNormWeight, n.OutputLayerNormBias, h, eps);
        Activation = config.HiddenAct;

        Linear Load(string weight, string bias, int outFeatures, int inFeatures, EncoderProjections projection, float[]? maxAbs)
        {
            if (!plan.IsInt8(projection))
                return new Linear(LinearLoader.ReadPacked(checkpoint, [weight], outFeatures, inFeatures), checkpoint.ReadFloat32(bias, outFeatures));
            // An int8 layer needs the whole weight (per-column smoothing scales); it lives only until it is quantized
            // (outside the GC heap: no garbage left behind).
            using LoadBuffer unpacked = checkpoint.RentBuffer(checked(outFeatures * inFeatures));
            checkpoint.ReadFloat32(weight, unpacked.Span, outFeatures, inFeatures);
            return plan.Build(unpacked.Span, checkpoint.ReadFloat32(bias, outFeatures), outFeatures, inFeatures, projection, maxAbs);
        }
    }

    /// <summary>x: [TotalTokens, hidden] is replaced by the layer's output.</summary>
    internal void Forward(float[] x, in ForwardContext context, float[]? probabilities)
    {
        Workspace ws = context.Workspace;
        int n = context.Packed.TotalTokens, h = AttentionOutput.OutFeatures, threads = context.MaxThreads;
        SelfAttention.Forward(x, context, probabilities);

        // a = LayerNorm(context·Woᵀ + bo + x): the residual add is fused into the GEMM.
        float[] a = ws.AttentionOutput;
        AttentionOutput.Forward(ws.Context, n, a, x, threads);
        AttentionLayerNorm.Apply(a.AsSpan(0, n * h), n, threads);

        // inter = act(a·Wiᵀ + bi): the activation runs in the GEMM's epilogue while each piece is in cache.
        ActivationFunction.LinearThenApply(Intermediate, Activation, a, n, ws.Intermediate, threads);

        // y = LayerNorm(inter·Wₒᵀ + bₒ + a), written over x (the layer input is no longer needed).
        Output.Forward(ws.Intermediate, n, x, a, threads);
        OutputLayerNorm.Apply(x.AsSpan(0, n * h), n, threads);
    }
}
