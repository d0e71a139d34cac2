using BertSharp.Engine.Kernels;
using BertSharp.Weights;

namespace BertSharp.Engine.Model;

/// <summary>
/// HF BertPooler: pooler_output = tanh(dense(hidden state of the first token, [CLS] or &lt;s&gt;)). dense: [hidden, hidden].
/// RobertaPooler, XLMRobertaPooler and MPNetPooler are the same module under the same names.
/// </summary>
public sealed class BertPooler
{
    public Linear Dense { get; }

    internal BertPooler(Checkpoint checkpoint, BertConfig config) =>
        Dense = LinearLoader.Load(checkpoint, BertParameterNames.PoolerDenseWeight, BertParameterNames.PoolerDenseBias, config.HiddenSize, config.HiddenSize);

    /// <summary>x: [TotalTokens, hidden] packed; result: [batch, hidden] (zero for empty rows).</summary>
    internal void Forward(ReadOnlySpan<float> x, PackedSequences packed, Span<float> result)
    {
        int h = Dense.OutFeatures;
        for (int b = 0; b < packed.BatchSize; b++)
        {
            Span<float> y = result.Slice(b * h, h);
            if (packed.Lengths[b] == 0) { y.Clear(); continue; }
            Dense.Forward(x.Slice(packed.Offsets[b] * h, h), 1, y, 1);
            Activations.Tanh(y);
        }
    }
}
