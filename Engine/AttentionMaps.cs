namespace BertSharp.Engine;

/// <summary>
/// The attention probabilities of one text, cut to its real tokens: for each layer and head a [len, len] matrix,
/// row = query token, column = key token, each row summing to 1 (softmax of q·kᵀ/√d over the keys).
/// Taken from <see cref="ModelOutput.Attentions"/> ([batch, heads, seq, seq] per layer, padded).
/// </summary>
/// <example>
/// AttentionMaps maps = AttentionMaps.Compute(model, "the river flowed over the bank.");
/// float p = maps.Matrix(layer: 0, head: 4)[6 * maps.Length + 2];   // "bank" → "river"
/// </example>
public sealed class AttentionMaps
{
    private readonly IReadOnlyList<float[]> _attentions;
    private readonly int _row, _sequenceLength;

    /// <summary>The tokens of the text ([CLS] and [SEP] included), one per matrix row and column.</summary>
    public string[] Tokens { get; }
    /// <summary>The token ids, parallel to <see cref="Tokens"/>.</summary>
    public int[] Ids { get; }
    public int Length => Tokens.Length;
    public int Layers => _attentions.Count;
    public int Heads { get; }
    /// <summary>Whether the text was cut to fit the model.</summary>
    public bool Truncated { get; }

    private AttentionMaps(ModelOutput output, int row)
    {
        _attentions = output.Attentions!;
        _row = row;
        _sequenceLength = output.SequenceLength;
        Heads = output.NumHeads;
        int len = output.Batch.ActiveLength(row);
        Ids = output.Batch.InputIds.AsSpan(row * _sequenceLength, len).ToArray();
        // A batch made from ids has no token strings: the ids stand in for them.
        Tokens = output.Batch.Encodings?[row].Tokens[..len] ?? Array.ConvertAll(Ids, id => id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Truncated = output.Truncated[row];
    }

    /// <summary>Row <paramref name="row"/> of a forward pass run with <see cref="RunOptions.OutputAttentions"/>.</summary>
    public static AttentionMaps FromOutput(ModelOutput output, int row = 0)
    {
        if (output.Attentions is null)
            throw new ArgumentException("the forward pass was run without RunOptions.OutputAttentions", nameof(output));
        if ((uint)row >= (uint)output.BatchSize)
            throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is out of range: the batch has {output.BatchSize} rows");
        return new AttentionMaps(output, row);
    }

    /// <summary>Runs one text with attentions (long texts cut to <paramref name="maxLength"/> tokens, default the model's positions).</summary>
    public static AttentionMaps Compute(BertModel model, string text, int? maxLength = null, int maxThreads = 0, CancellationToken cancellationToken = default)
    {
        ModelOutput output = model.Run([text], null,
            new RunOptions { OutputAttentions = true, MaxThreads = maxThreads, CancellationToken = cancellationToken },
            new LongInputOptions { Policy = LongInputPolicy.Truncate, MaxLength = maxLength });
        return new AttentionMaps(output, 0);
    }

    /// <summary>[len, len] row-major (query, key) of one layer (0-based) and head; a new array.</summary>
    public float[] Matrix(int layer, int head)
    {
        if ((uint)layer >= (uint)Layers)
            throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer} is out of range: the model has {Layers} layers (0..{Layers - 1})");
        if ((uint)head >= (uint)Heads)
            throw new ArgumentOutOfRangeException(nameof(head), $"head {head} is out of range: the model has {Heads} heads per layer (0..{Heads - 1})");
        int t = _sequenceLength, len = Length;
        var matrix = new float[len * len];
        ReadOnlySpan<float> all = _attentions[layer].AsSpan(((_row * Heads) + head) * t * t, t * t);
        for (int i = 0; i < len; i++) all.Slice(i * t, len).CopyTo(matrix.AsSpan(i * len, len));
        return matrix;
    }
}
