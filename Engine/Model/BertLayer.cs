using BertSharp.Weights;

namespace BertSharp.Engine.Model;

/// <summary>
/// One post-LN Transformer encoder layer (HF BertLayer = BertAttention + BertIntermediate + BertOutput):
///   a  = LayerNorm₁(x + AttentionOutput(SelfAttention(x)))
///   y  = LayerNorm₂(a + Output(act(Intermediate(a))))
/// x, a, y: [TotalTokens, hidden]; the intermediate activation is [TotalTokens, intermediate_size].
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

    internal BertLayer(Checkpoint checkpoint, BertConfig config, int index)
    {
        string p = $"encoder.layer.{index}.";
        int h = config.HiddenSize, inter = config.IntermediateSize;
        SelfAttention = new BertSelfAttention(checkpoint, config, p + "attention.self.");
        AttentionOutput = LinearLoader.Load(checkpoint, p + "attention.output.dense", h, h);
        AttentionLayerNorm = LinearLoader.LoadLayerNorm(checkpoint, p + "attention.output.LayerNorm", h, config.LayerNormEps);
        Intermediate = LinearLoader.Load(checkpoint, p + "intermediate.dense", inter, h);
        Output = LinearLoader.Load(checkpoint, p + "output.dense", h, inter);
        OutputLayerNorm = LinearLoader.LoadLayerNorm(checkpoint, p + "output.LayerNorm", h, config.LayerNormEps);
        Activation = config.HiddenAct;
    }

    /// <summary>x: [TotalTokens, hidden] is replaced by the layer's output.</summary>
    internal void Forward(float[] x, Workspace ws, BertBatch batch, float[]? probabilities, int maxThreads)
    {
        int n = ws.Packed.TotalTokens, h = AttentionOutput.OutFeatures;
        SelfAttention.Forward(x, ws.Qkv, ws.Context, batch, probabilities, ws, maxThreads);

        // a = LayerNorm(context·Woᵀ + bo + x): the residual add is fused into the GEMM.
        float[] a = ws.Attention;
        AttentionOutput.Forward(ws.Context, n, a, x, maxThreads);
        AttentionLayerNorm.Apply(a.AsSpan(0, n * h), n, maxThreads);

        // inter = act(a·Wiᵀ + bi): the activation runs in the GEMM's epilogue while each piece is in cache.
        switch (Activation)
        {
            case HiddenActivation.Gelu: Intermediate.Forward(a, n, ws.Intermediate, default(GeluErfEpilogue), maxThreads); break;
            case HiddenActivation.GeluNew:
            case HiddenActivation.GeluPytorchTanh: Intermediate.Forward(a, n, ws.Intermediate, default(GeluTanhEpilogue), maxThreads); break;
            case HiddenActivation.Relu: Intermediate.Forward(a, n, ws.Intermediate, default(ReluEpilogue), maxThreads); break;
            default: throw new NotSupportedException($"hidden_act {Activation}");
        }

        // y = LayerNorm(inter·Wₒᵀ + bₒ + a), written over x (the layer input is no longer needed).
        Output.Forward(ws.Intermediate, n, x, a, maxThreads);
        OutputLayerNorm.Apply(x.AsSpan(0, n * h), n, maxThreads);
    }
}
