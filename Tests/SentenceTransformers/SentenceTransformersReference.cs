using BertSharp.Engine;

namespace BertSharp.Tests.SentenceTransformers;

/// <summary>
/// An obviously-right double-precision transcription of sentence-transformers 5.2.0.dev0 (commit 85ec645)
/// models/Pooling.py forward, Dense.py forward, Normalize.py forward, SentenceTransformer.encode prompt handling and
/// util/similarity.py; used as the expected values of the module tests. Token vectors come from
/// <see cref="BertModel.Run(IReadOnlyList{string}, IReadOnlyList{string?}?, RunOptions?, LongInputOptions?)"/>
/// (the encoder itself is checked against golden data elsewhere).
/// </summary>
internal static class SentenceTransformersReference
{
    /// <summary>Pooling.forward for one row: tokens [T, H], mask [T] (already with prompt positions zeroed).</summary>
    public static double[] Pool(ModelOutput o, int row, int[] mask, string mode)
    {
        int t = o.SequenceLength, h = o.HiddenSize;
        double X(int pos, int j) => o.LastHiddenState[(row * t + pos) * h + j];
        var r = new double[h];
        switch (mode)
        {
            case "cls":
                for (int j = 0; j < h; j++) r[j] = X(0, j);
                break;
            case "max":       // token_embeddings[mask == 0] = -1e9; max over time
                for (int j = 0; j < h; j++) { r[j] = double.NegativeInfinity; for (int p = 0; p < t; p++) r[j] = Math.Max(r[j], mask[p] == 0 ? -1e9 : X(p, j)); }
                break;
            case "mean":
            case "mean_sqrt_len_tokens":
            {
                double n = 0;
                for (int p = 0; p < t; p++) n += mask[p];
                for (int j = 0; j < h; j++) { double s = 0; for (int p = 0; p < t; p++) s += X(p, j) * mask[p]; r[j] = s / (mode == "mean" ? Math.Max(n, 1e-9) : Math.Sqrt(Math.Max(n, 1e-9))); }
                break;
            }
            case "weightedmean":   // weights = arange(1, seq_len + 1)
            {
                double n = 0;
                for (int p = 0; p < t; p++) n += mask[p] * (p + 1);
                for (int j = 0; j < h; j++) { double s = 0; for (int p = 0; p < t; p++) s += X(p, j) * mask[p] * (p + 1); r[j] = s / Math.Max(n, 1e-9); }
                break;
            }
            case "lasttoken":      // the last index where mask is 1 (flip + argmax); none → zeros
            {
                int last = -1;
                for (int p = 0; p < t; p++) if (mask[p] == 1) last = p;
                if (last >= 0) for (int j = 0; j < h; j++) r[j] = X(last, j);
                break;
            }
            default: throw new ArgumentException(mode);
        }
        return r;
    }

    /// <summary>The row's attention mask with attention_mask[:, :promptLength] = 0.</summary>
    public static int[] Mask(ModelOutput o, int row, int promptLength)
    {
        int[] m = o.AttentionMask.AsSpan(row * o.SequenceLength, o.SequenceLength).ToArray();
        for (int p = 0; p < Math.Min(promptLength, m.Length); p++) m[p] = 0;
        return m;
    }

    /// <summary>Dense.forward: act(W x + b), W [out, in].</summary>
    public static double[] Dense(double[] x, float[] w, float[]? b, int outF, Func<double, double> act)
    {
        int inF = x.Length;
        var y = new double[outF];
        for (int o = 0; o < outF; o++)
        {
            double s = b?[o] ?? 0;
            for (int i = 0; i < inF; i++) s += w[o * inF + i] * x[i];
            y[o] = act(s);
        }
        return y;
    }

    /// <summary>F.normalize(x, p=2, dim=1): x / max(‖x‖, 1e-12).</summary>
    public static double[] Normalize(double[] x)
    {
        double n = Math.Sqrt(x.Sum(v => v * v));
        return x.Select(v => v / Math.Max(n, 1e-12)).ToArray();
    }

    /// <summary>_get_prompt_length: tokens of the prompt alone, less the trailing special ([SEP]).</summary>
    public static int PromptLength(BertModel model, string prompt)
    {
        int[] ids = model.Tokenizer!.Encode(prompt).Ids;
        return ids[^1] == model.Tokenizer.SepTokenId ? ids.Length - 1 : ids.Length;
    }

    public static float[] ToFloat(double[] x) => Array.ConvertAll(x, v => (float)v);
}
