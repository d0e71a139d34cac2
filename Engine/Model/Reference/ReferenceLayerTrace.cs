namespace BertSharp.Engine.Model.Reference;

/// <summary>
/// Every intermediate of one encoder layer for one row of len tokens, as <see cref="ReferenceBertModel.Layer"/>
/// computes them (the fast engine fuses most of these away). hidden = heads · d.
/// </summary>
public sealed class ReferenceLayerTrace
{
    /// <summary>[len, hidden] each: the query, key and value projections (head h owns columns [h·d, (h+1)·d)).</summary>
    public required float[] Query { get; init; }
    public required float[] Key { get; init; }
    public required float[] Value { get; init; }
    /// <summary>[heads, len, len]: q·kᵀ/√d before the softmax; masked keys are −∞.</summary>
    public required float[] Scores { get; init; }
    /// <summary>[heads, len, len]: softmax of each row of <see cref="Scores"/>.</summary>
    public required float[] Probabilities { get; init; }
    /// <summary>[len, hidden]: the heads' probabilities · v side by side.</summary>
    public required float[] Context { get; init; }
    /// <summary>[len, hidden]: a = LayerNorm(x + context·Woᵀ + bo) (HF BertSelfOutput).</summary>
    public required float[] AttentionOutput { get; init; }
    /// <summary>[len, intermediate]: act(a·Wiᵀ + bi) (HF BertIntermediate).</summary>
    public required float[] Intermediate { get; init; }
    /// <summary>[len, hidden]: y = LayerNorm(a + intermediate·Wₒᵀ + bₒ), the layer output (HF BertOutput).</summary>
    public required float[] Output { get; init; }
    public required int Length { get; init; }
    public required int Heads { get; init; }
    public required int HeadDim { get; init; }

    /// <summary>q, k or v (part 0, 1, 2) of token i for one head: [d].</summary>
    public ReadOnlySpan<float> Vector(int part, int head, int i)
    {
        float[] m = part switch { 0 => Query, 1 => Key, 2 => Value, _ => throw new ArgumentOutOfRangeException(nameof(part)) };
        return m.AsSpan(i * Heads * HeadDim + head * HeadDim, HeadDim);
    }
}
