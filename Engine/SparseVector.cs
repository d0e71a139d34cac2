namespace BertSharp.Engine;

/// <summary>
/// A sparse vector over the vocabulary: (token id, weight) pairs sorted by weight, descending (equal weights: lower id
/// first). Only non-zero weights are stored.
/// </summary>
public sealed class SparseVector
{
    /// <summary>Token ids, in the order of <see cref="Values"/>.</summary>
    public int[] Indices { get; }
    public float[] Values { get; }
    /// <summary>The full width (the vocabulary size).</summary>
    public int Dimension { get; }
    public int Count => Indices.Length;

    public SparseVector(int[] indices, float[] values, int dimension)
    {
        if (indices.Length != values.Length) throw new ArgumentException($"{indices.Length} indices but {values.Length} values", nameof(values));
        foreach (int i in indices)
            if ((uint)i >= (uint)dimension) throw new ArgumentException($"index {i} is outside [0, {dimension})", nameof(indices));
        Indices = indices; Values = values; Dimension = dimension;
    }

    /// <summary>
    /// The non-zero entries of a dense vector, sorted by weight (descending, ties by index); at most
    /// <paramref name="topK"/> of them when given (sentence-transformers SparseEncoder max_active_dims).
    /// </summary>
    public static SparseVector FromDense(ReadOnlySpan<float> dense, int? topK = null)
    {
        var idx = new List<int>();
        for (int i = 0; i < dense.Length; i++) if (dense[i] != 0) idx.Add(i);
        int[] indices = [.. idx];
        float[] values = new float[indices.Length];
        for (int k = 0; k < indices.Length; k++) values[k] = dense[indices[k]];
        var order = new int[indices.Length];
        for (int k = 0; k < order.Length; k++) order[k] = k;
        Array.Sort(order, (a, b) => values[b].CompareTo(values[a]) is int c && c != 0 ? c : indices[a].CompareTo(indices[b]));
        int n = Math.Min(order.Length, topK ?? order.Length);
        var outIdx = new int[n]; var outVal = new float[n];
        for (int k = 0; k < n; k++) { outIdx[k] = indices[order[k]]; outVal[k] = values[order[k]]; }
        return new SparseVector(outIdx, outVal, dense.Length);
    }

    /// <summary>The dense form [Dimension].</summary>
    public float[] ToDense()
    {
        var d = new float[Dimension];
        for (int k = 0; k < Indices.Length; k++) d[Indices[k]] = Values[k];
        return d;
    }

    /// <summary>Σ a[i]·b[i] over the ids both hold (SparseEncoder's default similarity, dot).</summary>
    public static float Dot(SparseVector a, SparseVector b)
    {
        if (a.Dimension != b.Dimension) throw new ArgumentException($"sparse vectors have dimensions {a.Dimension} and {b.Dimension}", nameof(b));
        SparseVector small = a.Count <= b.Count ? a : b, large = ReferenceEquals(small, a) ? b : a;
        var lookup = new Dictionary<int, float>(large.Count);
        for (int k = 0; k < large.Count; k++) lookup[large.Indices[k]] = large.Values[k];
        float sum = 0;
        for (int k = 0; k < small.Count; k++)
            if (lookup.TryGetValue(small.Indices[k], out float v)) sum += small.Values[k] * v;
        return sum;
    }
}
