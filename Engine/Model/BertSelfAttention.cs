using BertSharp.Engine.Kernels;
using BertSharp.Weights;

namespace BertSharp.Engine.Model;

/// <summary>
/// Multi-head scaled dot-product self-attention (HF BertSelfAttention).
/// The query, key and value projections run as one GEMM: their weights are stacked into [3·hidden, hidden], so
/// qkv: [TotalTokens, 3·hidden] holds q in columns [0, hidden), k in [hidden, 2·hidden), v in [2·hidden, 3·hidden).
/// Per row of the batch and head h, with q/k/v the head's [len, d] column slices (d = hidden / heads):
///   probs = softmax(q·kᵀ / √d (+ MPNet's relative position bias) with masked keys at −∞),   context = probs · v.
/// Heads write their contexts side by side into context: [TotalTokens, hidden].
/// The [len, len] score matrix lives only in a per-thread scratch buffer unless probabilities are requested.
/// </summary>
public sealed class BertSelfAttention
{
    /// <summary>query, key and value stacked: W [3·hidden, hidden], b [3·hidden].</summary>
    public Linear QueryKeyValue { get; }
    public int NumHeads { get; }
    public int HeadDim { get; }
    /// <summary>MPNet's bias, shared by every layer; null for every other family (then nothing is added).</summary>
    public RelativePositionBias? RelativeBias { get; }

    internal BertSelfAttention(Checkpoint checkpoint, BertConfig config, BertLayerParameterNames names,
        RelativePositionBias? relativeBias, QuantizationPlan plan,
        float[]? inputMaxAbs)
    {
        RelativeBias = relativeBias;
        int h = config.HiddenSize;
        NumHeads = config.NumAttentionHeads; HeadDim = config.HeadDim;
        var bias = new float[3 * h];
        (string Weight, string Bias)[] parts = [(names.QueryWeight, names.QueryBias), (names.KeyWeight, names.KeyBias), (names.ValueWeight, names.ValueBias)];
        for (int i = 0; i < 3; i++)
            checkpoint.ReadFloat32(parts[i].Bias, bias.AsSpan(i * h, h), h);
        if (!plan.IsInt8(EncoderProjections.QueryKeyValue))
        {
            QueryKeyValue = new Linear(LinearLoader.ReadPacked(checkpoint, [parts[0].Weight, parts[1].Weight, parts[2].Weight], h, h), bias);
            return;
        }
        using LoadBuffer weight = checkpoint.RentBuffer(checked(3 * h * h)); // given back once quantized
        for (int i = 0; i < 3; i++)
            checkpoint.ReadFloat32(parts[i].Weight, weight.Span.Slice(i * h * h, h * h), h, h);
        QueryKeyValue = plan.Build(weight.Span, bias, 3 * h, h, EncoderProjections.QueryKeyValue, inputMaxAbs);
    }

    /// <summary>
    /// x: [TotalTokens, hidden] layer input → the workspace's Context: [TotalTokens, hidden].
    /// probabilities: null, or [batch, heads, seq, seq] to receive the attention probabilities.
    /// </summary>
    internal void Forward(float[] x, in ForwardContext context, float[]? probabilities)
    {
        Workspace ws = context.Workspace;
        QueryKeyValue.Forward(x, context.Packed.TotalTokens, ws.Qkv, context.MaxThreads);
        KernelParallel.For(context.Packed.BatchSize * NumHeads, new Heads(this, context.Batch, ws, probabilities), context.MaxThreads);
    }

    /// <summary>Piece j = (row j / heads, head j % heads), computed with its thread slot's scratch.</summary>
    private readonly struct Heads(BertSelfAttention attention, BertBatch batch, Workspace ws, float[]? probabilities) : IParallelPieces
    {
        public void Run(int piece, int slot) =>
            attention.Head(piece / attention.NumHeads, piece % attention.NumHeads, batch, ws, probabilities, ws.AttentionScratch(slot));
    }

    /// <summary>One (row b, head): context = softmax(q·kᵀ/√d, masked keys excluded) · v, see <see cref="AttentionHead"/>.</summary>
    private void Head(int b, int head, BertBatch batch, Workspace ws, float[]? probabilities, Span<float> scratch)
    {
        PackedSequences packed = ws.Packed;
        int len = packed.Lengths[b];
        if (len == 0) return;
        int hidden = NumHeads * HeadDim, d = HeadDim, stride = 3 * hidden;
        int row0 = packed.Offsets[b];
        ReadOnlySpan<float> q = ws.Qkv.AsSpan(row0 * stride + head * d);
        ReadOnlySpan<float> k = ws.Qkv.AsSpan(row0 * stride + hidden + head * d);
        ReadOnlySpan<float> v = ws.Qkv.AsSpan(row0 * stride + 2 * hidden + head * d);
        ReadOnlySpan<int> mask = batch.AttentionMask.AsSpan(b * batch.SequenceLength, len);
        int t = batch.SequenceLength;
        Span<float> probs = probabilities is null ? default : probabilities.AsSpan((b * NumHeads + head) * t * t, t * t);
        // HF scales after the product: (q·kᵀ) · 1/√d.
        Span<float> context = ws.Context.AsSpan(row0 * hidden + head * d);
        if (RelativeBias is null)
            AttentionHead.Compute(len, d, q, stride, k, stride, v, stride, 1f / MathF.Sqrt(d), mask, context, hidden, probs, t, scratch);
        else
            AttentionHead.Compute(len, d, q, stride, k, stride, v, stride, 1f / MathF.Sqrt(d), mask, context, hidden, probs, t, scratch,
                RelativeBias.ForHead(head, len));
    }
}
