namespace BertSharp.Engine.Model;

/// <summary>
/// The batch with padding squeezed out: row b contributes its first Lengths[b] positions (up to its last real token),
/// stored one after another as a [TotalTokens, hidden] matrix starting at Offsets[b].
/// Linear layers run once over all TotalTokens rows; attention runs per (row, head) on its own length,
/// so trailing padding costs nothing and a text gives the same numbers alone or in a batch.
/// Reused across calls (it lives in the <see cref="Workspace"/>): <see cref="Reset"/> lays out a new batch.
/// </summary>
internal sealed class PackedSequences
{
    public int BatchSize { get; private set; }
    public int SequenceLength { get; private set; }
    public int[] Lengths { get; private set; } = [];
    public int[] Offsets { get; private set; } = [];
    public int TotalTokens { get; private set; }
    public int MaxLength { get; private set; }

    public void Reset(BertBatch batch)
    {
        BatchSize = batch.BatchSize; SequenceLength = batch.SequenceLength;
        if (Lengths.Length < BatchSize) { Lengths = new int[BatchSize]; Offsets = new int[BatchSize]; }
        int total = 0, max = 0;
        for (int b = 0; b < BatchSize; b++)
        {
            Offsets[b] = total;
            Lengths[b] = batch.ActiveLength(b);
            total += Lengths[b];
            max = Math.Max(max, Lengths[b]);
        }
        TotalTokens = total; MaxLength = max;
    }

    /// <summary>Copies packed rows x: [TotalTokens, width] into padded [batch, seq, width] (padding rows zero).</summary>
    public void Unpack(ReadOnlySpan<float> x, int width, Span<float> result)
    {
        result[..(BatchSize * SequenceLength * width)].Clear();
        for (int b = 0; b < BatchSize; b++)
            x.Slice(Offsets[b] * width, Lengths[b] * width).CopyTo(result[(b * SequenceLength * width)..]);
    }

    /// <summary>As <see cref="Unpack(ReadOnlySpan{float}, int, Span{float})"/> into a new array.</summary>
    public float[] Unpack(ReadOnlySpan<float> x, int width)
    {
        var result = new float[BatchSize * SequenceLength * width];
        Unpack(x, width, result);
        return result;
    }
}
