using System.Globalization;
using BertSharp.Engine;
using BertSharp.Engine.Model;
using BertSharp.Engine.Model.Reference;

namespace BertSharp.Cli;

/// <summary>
/// `bertsharp hidden --trace`: one line per stage of the forward pass — name, shape, and mean, std (population),
/// min, max over the valid (attention_mask == 1) positions — the numbers one prints when debugging a port.
/// Stages: embeddings; per layer L the attention block's output a = LayerNorm₁(x + attention(x)) and the FFN
/// activation act(a·Wiᵀ + bi) (both recomputed by the reference encoder, <see cref="ReferenceBertModel.Layer"/>, from hidden_states.L, since the fused
/// engine path does not keep them) and the layer output hidden_states.L+1 (the engine's); last_hidden_state,
/// pooler_output, sentence_embedding. A last line gives the largest difference between the recomputed layer outputs
/// and the engine's.
/// </summary>
internal static class HiddenTrace
{
    /// <summary>Statistics of a set of floats, accumulated in double.</summary>
    public readonly record struct Stats(long Count, double Mean, double Std, float Min, float Max)
    {
        public bool IsFinite => double.IsFinite(Mean) && double.IsFinite(Std) && float.IsFinite(Min) && float.IsFinite(Max);
    }

    /// <summary>Accumulates values; Std is the population standard deviation (divide by n, like numpy's std).</summary>
    public sealed class StatsBuilder
    {
        private long _n; private double _sum, _sumSq; private float _min = float.PositiveInfinity, _max = float.NegativeInfinity;

        public void Add(ReadOnlySpan<float> values)
        {
            foreach (float v in values)
            {
                _n++; _sum += v; _sumSq += (double)v * v;
                if (v < _min) _min = v;
                if (v > _max) _max = v;
            }
        }

        public Stats Build()
        {
            if (_n == 0) return new Stats(0, 0, 0, 0, 0);
            double mean = _sum / _n;
            return new Stats(_n, mean, Math.Sqrt(Math.Max(0, _sumSq / _n - mean * mean)), _min, _max);
        }
    }

    /// <summary>Stats of tokens: [batch, seq, width] over positions where mask: [batch, seq] is 1.</summary>
    public static Stats OfTokens(ReadOnlySpan<float> tokens, ReadOnlySpan<int> mask, int batch, int seq, int width)
    {
        var s = new StatsBuilder();
        for (int i = 0; i < batch * seq; i++)
            if (mask[i] != 0) s.Add(tokens.Slice(i * width, width));
        return s.Build();
    }

    public static Stats Of(ReadOnlySpan<float> values)
    {
        var s = new StatsBuilder();
        s.Add(values);
        return s.Build();
    }

    /// <param name="token">when set, also prints the first values of that token of row 0 at every stage</param>
    public static void Write(BertModel model, ModelOutput o, TextWriter w, int? token = null)
    {
        int b = o.BatchSize, t = o.SequenceLength, h = o.HiddenSize;
        IReadOnlyList<float[]> hs = o.HiddenStates ?? throw new InvalidOperationException("trace needs the hidden states");
        int[] mask = o.AttentionMask;
        int inter = model.Config.IntermediateSize;
        SentenceTransformersConfig? st = model.SentenceTransformers;
        PoolingMode mode = st?.Pooling ?? PoolingMode.Mean;
        bool normalize = st?.Normalize ?? true;
        w.WriteLine($"model {model.Directory}: {model.Config.NumHiddenLayers} layers, hidden {h}, {o.NumHeads} heads, intermediate {inter}");
        for (int r = 0; r < b; r++)
        {
            var tokens = o.Batch.Encodings?[r].Tokens;
            w.WriteLine(tokens is not null
                ? $"row {r}: {string.Join(' ', tokens.Where((_, i) => mask[r * t + i] != 0))}"
                : $"row {r}: ids {string.Join(' ', o.Batch.InputIds.AsSpan(r * t, t).ToArray().Where((_, i) => mask[r * t + i] != 0))}");
        }
        w.WriteLine("statistics over valid (attention_mask = 1) positions; std is the population std (divide by n)");
        w.WriteLine($"{"stage",-26} {"shape",-16} {"mean",13} {"std",13} {"min",13} {"max",13}");

        Line(w, "embeddings", [b, t, h], OfTokens(hs[0], mask, b, t, h));
        var tokenRows = new List<(string Stage, float[] Values)>();
        if (token is int ti)
        {
            int id = o.Batch.InputIds[ti], type = o.Batch.TokenTypeIds[ti];
            BertEmbeddings e = model.Embeddings;
            int ew = e.Width;   // embedding_size (ELECTRA projects it to hidden afterwards)
            var positions = new int[ti + 1];
            e.PositionIds(o.Batch.InputIds.AsSpan(0, ti + 1), positions);   // token ti is in row 0
            int position = positions[ti];
            var word = new float[ew];
            e.WordEmbeddingTable.CopyRow(id, word);   // dequantized when the table is stored compact
            float[] pos = e.PositionEmbeddings.AsSpan(position * ew, ew).ToArray();
            float[] typ = e.TokenTypeEmbeddings is null ? new float[ew] : e.TokenTypeEmbeddings.AsSpan(type * ew, ew).ToArray(), sum = new float[ew];
            for (int c = 0; c < ew; c++) sum[c] = word[c] + typ[c] + pos[c];
            tokenRows.Add(($"word_embeddings[{id}]", word));
            tokenRows.Add(($"position_embeddings[{position}]", pos));
            if (e.TokenTypeEmbeddings is not null) tokenRows.Add(($"token_type_embeddings[{type}]", typ));
            tokenRows.Add(("sum", sum));
            tokenRows.Add((e.Projection is null ? "embeddings (LayerNorm)" : "embeddings (LayerNorm, projected)", hs[0].AsSpan(ti * h, h).ToArray()));
        }
        double maxDiff = 0;
        var reference = ReferenceBertModel.Load(model.Directory);
        for (int l = 0; l < model.Encoder.Layers.Count; l++)
        {
            StatsBuilder attention = new(), ffn = new();
            for (int r = 0; r < b; r++)
            {
                int len = o.Batch.ActiveLength(r);
                if (len == 0) continue;
                ReadOnlySpan<int> m = mask.AsSpan(r * t, len);
                ReferenceLayerTrace probe = reference.Layer(l, hs[l].AsSpan(r * t * h, len * h).ToArray(), len, m);
                if (r == 0 && token is int tj && tj < len)
                {
                    tokenRows.Add(($"layer.{l}.attention+ln", probe.AttentionOutput.AsSpan(tj * h, h).ToArray()));
                    tokenRows.Add(($"layer.{l}.ffn_activation", probe.Intermediate.AsSpan(tj * inter, inter).ToArray()));
                    tokenRows.Add(($"layer.{l}.output", hs[l + 1].AsSpan(tj * h, h).ToArray()));
                }
                for (int i = 0; i < len; i++)
                {
                    if (m[i] == 0) continue;
                    attention.Add(probe.AttentionOutput.AsSpan(i * h, h));
                    ffn.Add(probe.Intermediate.AsSpan(i * inter, inter));
                    ReadOnlySpan<float> engine = hs[l + 1].AsSpan((r * t + i) * h, h);
                    for (int c = 0; c < h; c++) maxDiff = Math.Max(maxDiff, Math.Abs(probe.Output[i * h + c] - engine[c]));
                }
            }
            Line(w, $"layer.{l}.attention+ln", [b, t, h], attention.Build());
            Line(w, $"layer.{l}.ffn_activation", [b, t, inter], ffn.Build());
            Line(w, $"layer.{l}.output", [b, t, h], OfTokens(hs[l + 1], mask, b, t, h));
        }
        Line(w, "last_hidden_state", [b, t, h], OfTokens(o.LastHiddenState, mask, b, t, h));
        if (o.PoolerOutput is not null) Line(w, "pooler_output", [b, h], Of(o.PoolerOutput));
        var sentence = new StatsBuilder();
        foreach (float[] v in Pooling.Pool(o, mode, normalize)) sentence.Add(v);
        Line(w, "sentence_embedding", [b, h], sentence.Build());
        if (token is int tk)
        {
            tokenRows.Add(("row 0 mean over tokens", Pooling.Pool(o, PoolingMode.Mean, normalize: false)[0]));
            tokenRows.Add(("row 0 sentence_embedding", Pooling.Pool(o, mode, normalize)[0]));
            string? name = o.Batch.Encodings?[0].Tokens[tk];
            w.WriteLine($"token {tk}{(name is null ? "" : $" '{name}'")} of row 0: first {TokenValues} values and the L2 norm of its vector at each stage (last two rows: row 0 pooled)");
            foreach (var (stage, values) in tokenRows)
            {
                double norm = 0;
                foreach (float v in values) norm += (double)v * v;
                var parts = new List<string>();
                for (int c = 0; c < Math.Min(TokenValues, values.Length); c++) parts.Add(values[c].ToString("F4", CultureInfo.InvariantCulture).PadLeft(9));
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {stage,-28} {string.Join(" ", parts)}   |x| = {Math.Sqrt(norm):F4}"));
            }
        }
        w.WriteLine($"sentence_embedding = {mode.ToString().ToLowerInvariant()} pooling{(normalize ? " + L2 normalise" : "")}; " +
                    $"recomputed layer outputs vs engine: max |diff| = {maxDiff.ToString("G3", CultureInfo.InvariantCulture)}");
    }

    private const int TokenValues = 6;

    private static void Line(TextWriter w, string stage, int[] shape, Stats s) =>
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{stage,-26} {"[" + string.Join(", ", shape) + "]",-16} {s.Mean,13:F6} {s.Std,13:F6} {s.Min,13:F6} {s.Max,13:F6}"));
}
