using BertSharp.Engine;
using BertSharp.Weights;

namespace BertSharp.Tests.Support;

/// <summary>Comparison of our tensors with golden ones on valid (unpadded) rows, as the golden READMEs prescribe.</summary>
public static class GoldenCompare
{
    /// <summary>
    /// Max |actual − expected| over valid positions, NaN counting as +∞. mask: [B,T].
    /// Layouts: [B,H] per sequence (all compared); [B,T] or [B,T,...] per token (rows with mask == 1);
    /// attentions [B,heads,T,T] (valid query rows, every key column: masked keys must be 0 in both).
    /// </summary>
    public static double MaxAbsDiffValidRows(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, int[] shape, int[] mask,
        bool isAttention, bool perToken, out int compared)
    {
        if (actual.Length != expected.Length) throw new AssertionException($"element count {actual.Length} != expected {expected.Length}");
        int inner = 1;
        for (int d = 2; d < shape.Length; d++) inner *= shape[d];
        double maxDiff = 0; compared = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            bool valid;
            if (isAttention)
            {
                int t = shape[2];
                int query = i / t % t, batch = i / (shape[1] * t * t);
                valid = mask[batch * t + query] == 1;
            }
            else valid = !perToken || mask[i / inner] == 1;   // per token: flat index / inner = b·T + t
            if (!valid) continue;
            double diff = Math.Abs((double)actual[i] - expected[i]);
            if (double.IsNaN(diff)) diff = double.PositiveInfinity;
            if (diff > maxDiff) maxDiff = diff;
            compared++;
        }
        return maxDiff;
    }

    /// <summary>The batch a golden file stores: int64 input_ids, token_type_ids, attention_mask [B,T].</summary>
    public static BertBatch Inputs(SafeTensorsFile golden)
    {
        int[] shape = golden.GetTensor("input_ids").ShapeAsInt32();
        return new BertBatch(shape[0], shape[1], ToInt32(golden.ReadInt64("input_ids")),
            ToInt32(golden.ReadInt64("token_type_ids")), ToInt32(golden.ReadInt64("attention_mask")));
    }

    private static int[] ToInt32(long[] v)
    {
        var r = new int[v.Length];
        for (int i = 0; i < v.Length; i++) r[i] = checked((int)v[i]);
        return r;
    }
}
