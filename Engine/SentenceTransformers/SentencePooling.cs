namespace BertSharp.Engine.SentenceTransformers;

/// <summary>
/// sentence-transformers models/Pooling.py (5.2.0.dev0) over one forward pass: token vectors [batch, seq, hidden] →
/// sentence vectors [batch, modes × hidden], the modes concatenated in sentence-transformers' order (cls, max, mean,
/// mean_sqrt_len_tokens, weightedmean, lasttoken).
/// include_prompt = false: positions [0, promptLength) are masked out before pooling (attention_mask[:, :prompt_length]
/// = 0, so [CLS] too), as Pooling.forward does; cls still takes position 0 (it ignores the mask).
/// </summary>
public sealed class SentencePooling
{
    public IReadOnlyList<PoolingMode> Modes { get; }
    public bool IncludePrompt { get; }

    public SentencePooling(IReadOnlyList<PoolingMode> modes, bool includePrompt)
    {
        if (modes.Count == 0) throw new ArgumentException("no pooling mode", nameof(modes));
        if (modes.Count > 1)
            foreach (PoolingMode m in modes)
                if (m == PoolingMode.Pooler) throw new ArgumentException("pooler output cannot be concatenated with other modes", nameof(modes));
        Modes = modes; IncludePrompt = includePrompt;
    }

    public int OutputDimension(int hidden) => Modes.Count * hidden;

    /// <param name="promptLength">tokens of the prompt ([CLS] included) at the start of every row; used when <see cref="IncludePrompt"/> is false</param>
    /// <returns>[batch, <see cref="OutputDimension"/>]</returns>
    public float[] Forward(ModelOutput output, int promptLength)
    {
        int b = output.BatchSize, t = output.SequenceLength, h = output.HiddenSize, width = OutputDimension(h);
        int[] mask = output.AttentionMask;
        if (!IncludePrompt && promptLength > 0)
        {
            mask = (int[])mask.Clone();
            for (int r = 0; r < b; r++) Array.Clear(mask, r * t, Math.Min(promptLength, t));
        }
        var result = new float[b * width];
        for (int r = 0; r < b; r++)
            for (int k = 0; k < Modes.Count; k++)
            {
                Span<float> dst = result.AsSpan(r * width + k * h, h);
                if (Modes[k] == PoolingMode.Pooler)
                {
                    if (output.PoolerOutput is null)
                        throw new BertInputException("pooling 'pooler' needs a checkpoint with pooler weights (pooler.dense.*); this one has none");
                    output.PoolerOutput.AsSpan(r * h, h).CopyTo(dst);
                }
                else Pooling.PoolRow(output.LastHiddenState, mask, r, t, h, Modes[k], dst);
            }
        return result;
    }
}
