using BertSharp.Weights;

namespace BertSharp.Engine.Model;

/// <summary>
/// MPNet's attention bias (HF MPNetEncoder.relative_attention_bias + compute_position_bias): one learned table
/// [relative_attention_num_buckets, heads] shared by every layer, added to the scaled scores:
///   score[h, i, j] += table[bucket(j − i), h]
/// with T5's bidirectional bucketing (32 buckets, max_distance 128, see <see cref="Bucket"/>). i and j are indices in
/// the padded row (left padding counts), as in transformers, which bucket arange(T), not the position ids.
/// The bias depends on i − j only, so it is precomputed once per head for every distance a row can have:
/// <see cref="ForHead"/> hands the attention kernel the 2·len − 1 values a row of len tokens needs.
/// </summary>
public sealed class RelativePositionBias
{
    private readonly int _maxLength, _stride;
    /// <summary>[heads, 2·maxLength − 1]: the bias for distance δ = i − j at index maxLength − 1 + δ.</summary>
    private readonly float[] _byDistance;

    /// <summary>[relative_attention_num_buckets, heads], as stored.</summary>
    public float[] Table { get; }
    public int NumHeads { get; }

    internal RelativePositionBias(Checkpoint checkpoint, BertConfig config)
    {
        NumHeads = config.NumAttentionHeads;
        int buckets = config.RelativeAttentionNumBuckets;
        Table = checkpoint.ReadFloat32(EncoderParameterNames.For(config.Encoder).RelativeAttentionBias!, buckets, NumHeads);
        _maxLength = config.MaxPositionEmbeddings;
        _stride = 2 * _maxLength - 1;
        _byDistance = new float[NumHeads * _stride];
        for (int delta = -(_maxLength - 1); delta < _maxLength; delta++)
        {
            int bucket = Bucket(-delta);    // relative position j − i = −δ
            for (int h = 0; h < NumHeads; h++) _byDistance[h * _stride + _maxLength - 1 + delta] = Table[bucket * NumHeads + h];
        }
    }

    /// <summary>
    /// transformers' MPNet/T5 relative_position_bucket(j − i, num_buckets = 32, max_distance = 128), bidirectional:
    /// with n = i − j, keys after the query (n &lt; 0) use buckets 16..31; |n| &lt; 8 is its own bucket; larger distances
    /// share log-spaced buckets up to 15: 8 + ⌊log(|n|/8) / log(16) · 8⌋, computed in float32 as torch does.
    /// </summary>
    public static int Bucket(int relativePosition)
    {
        const int half = EncoderArchitecture.RelativeBucketCount / 2, maxExact = half / 2;
        int n = -relativePosition, ret = 0;
        if (n < 0) { ret = half; n = -n; }
        if (n < maxExact) return ret + n;
        float large = MathF.Log((float)n / maxExact) / (float)Math.Log((double)EncoderArchitecture.RelativeMaxDistance / maxExact) * (half - maxExact);
        return ret + Math.Min(maxExact + (int)large, half - 1);
    }

    /// <summary>Head <paramref name="head"/>'s bias for a row of <paramref name="len"/> tokens: [2·len − 1], distance i − j at len − 1 + (i − j).</summary>
    public ReadOnlySpan<float> ForHead(int head, int len)
    {
        if ((uint)len > (uint)_maxLength) throw new ArgumentOutOfRangeException(nameof(len), $"{len} tokens, at most {_maxLength}");
        return _byDistance.AsSpan(head * _stride + _maxLength - len, 2 * len - 1);
    }
}
