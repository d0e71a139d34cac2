using System.Numerics.Tensors;

namespace BertSharp.Engine;

/// <summary>How token vectors become one sentence vector.</summary>
public enum PoolingMode
{
    /// <summary>The first token's ([CLS]) vector.</summary>
    Cls,
    /// <summary>Mean over real tokens (attention_mask == 1): sentence-transformers' default.</summary>
    Mean,
    /// <summary>Element-wise max over real tokens.</summary>
    Max,
    /// <summary>Sum over real tokens divided by √(number of tokens).</summary>
    MeanSqrtLen,
    /// <summary>HF pooler_output: tanh(dense([CLS])); needs a checkpoint with a pooler.</summary>
    Pooler,
    /// <summary>
    /// Position-weighted mean over real tokens: Σ (t+1)·x_t / Σ (t+1), t the 0-based position in the padded row
    /// (sentence-transformers "weightedmean", SGPT).
    /// </summary>
    WeightedMean,
    /// <summary>The vector of the last real token (sentence-transformers "lasttoken"); zero when the row has none.</summary>
    LastToken,
}

/// <summary>Sentence pooling over token vectors; padded positions never contribute.</summary>
public static class Pooling
{
    /// <summary>
    /// Parses cls | mean | max | mean_sqrt_len | pooler | weightedmean | lasttoken (and sentence-transformers'
    /// spelling mean_sqrt_len_tokens).
    /// </summary>
    public static PoolingMode Parse(string name) => name switch
    {
        "cls" => PoolingMode.Cls,
        "mean" => PoolingMode.Mean,
        "max" => PoolingMode.Max,
        "mean_sqrt_len" or "mean_sqrt_len_tokens" => PoolingMode.MeanSqrtLen,
        "pooler" => PoolingMode.Pooler,
        "weightedmean" => PoolingMode.WeightedMean,
        "lasttoken" => PoolingMode.LastToken,
        _ => throw new ArgumentException($"unknown pooling '{name}' (expected cls, mean, max, mean_sqrt_len, pooler, weightedmean or lasttoken)", nameof(name)),
    };

    /// <summary>
    /// Pools row b of tokens: [batch, seq, width] over positions where mask: [batch, seq] is 1.
    /// For <see cref="PoolingMode.Pooler"/> use <see cref="Pool(ModelOutput, PoolingMode, bool)"/>.
    /// </summary>
    public static void PoolRow(ReadOnlySpan<float> tokens, ReadOnlySpan<int> mask, int b, int seq, int width, PoolingMode mode, Span<float> result)
    {
        if (result.Length != width) throw new ArgumentException($"result has {result.Length} floats, expected {width}", nameof(result));
        ReadOnlySpan<float> row = tokens.Slice(b * seq * width, seq * width);
        ReadOnlySpan<int> m = mask.Slice(b * seq, seq);
        result.Clear();
        int count = 0;
        switch (mode)
        {
            case PoolingMode.Cls:
                row[..width].CopyTo(result);
                return;
            case PoolingMode.Max:
                result.Fill(float.NegativeInfinity);
                for (int t = 0; t < seq; t++)
                    if (m[t] != 0) { TensorPrimitives.Max(result, row.Slice(t * width, width), result); count++; }
                if (count == 0) result.Clear();
                return;
            case PoolingMode.Mean:
            case PoolingMode.MeanSqrtLen:
                for (int t = 0; t < seq; t++)
                    if (m[t] != 0) { TensorPrimitives.Add(result, row.Slice(t * width, width), result); count++; }
                if (count > 0) TensorPrimitives.Multiply(result, mode == PoolingMode.Mean ? 1f / count : 1f / MathF.Sqrt(count), result);
                return;
            case PoolingMode.WeightedMean:
                float weights = 0;
                for (int t = 0; t < seq; t++)
                    if (m[t] != 0) { TensorPrimitives.MultiplyAdd(row.Slice(t * width, width), t + 1, result, result); weights += t + 1; }
                if (weights > 0) TensorPrimitives.Multiply(result, 1f / weights, result);
                return;
            case PoolingMode.LastToken:
                for (int t = seq - 1; t >= 0; t--)
                    if (m[t] != 0) { row.Slice(t * width, width).CopyTo(result); return; }
                return;
            default:
                throw new ArgumentException($"pooling {mode} needs the model output (use Pool(ModelOutput, ...))", nameof(mode));
        }
    }

    /// <summary>One vector per row of the batch: [batch][hidden], optionally L2-normalised.</summary>
    public static float[][] Pool(ModelOutput output, PoolingMode mode, bool normalize)
    {
        var result = new float[output.BatchSize][];
        int h = output.HiddenSize;
        for (int b = 0; b < output.BatchSize; b++)
        {
            var v = new float[h];
            if (mode == PoolingMode.Pooler)
            {
                if (output.PoolerOutput is null)
                    throw new BertInputException("pooling 'pooler' needs a checkpoint with pooler weights (pooler.dense.*); this one has none");
                output.PoolerOutput.AsSpan(b * h, h).CopyTo(v);
            }
            else PoolRow(output.LastHiddenState, output.AttentionMask, b, output.SequenceLength, h, mode, v);
            if (normalize) VectorMath.L2Normalize(v);
            result[b] = v;
        }
        return result;
    }
}
