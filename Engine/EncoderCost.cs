using BertSharp.Weights;

namespace BertSharp.Engine;

/// <summary>How much arithmetic a forward pass is: the yardstick for GFLOP/s and "% of peak" figures.</summary>
public static class EncoderCost
{
    /// <summary>
    /// 2·(multiply-adds) of the encoder on [batch, seq] tokens, no padding: per layer the four H×H projections
    /// (Q, K, V, attention output), the FFN (H×I and I×H), and attention's two products QKᵀ and P·V (seq×seq×H each).
    /// Embeddings, LayerNorm, softmax and GELU are not counted (they are O(tokens·H), not O(tokens·H²)).
    /// </summary>
    public static double Flops(BertConfig config, int batch, int seq)
    {
        double n = (double)batch * seq, h = config.HiddenSize, inter = config.IntermediateSize;
        double perLayer = 2 * n * h * h * 4 + 2 * n * h * inter * 2 + 2 * batch * (double)seq * seq * h * 2;
        return perLayer * config.NumHiddenLayers;
    }
}
