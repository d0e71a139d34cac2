namespace BertSharp.Engine.Quantization;

/// <summary>
/// Per-dimension [min, max] of int8/uint8 quantization: sentence-transformers' `ranges`, an array [2, d] whose row 0
/// is the minimum and row 1 the maximum of each dimension over a calibration set of embeddings.
/// </summary>
public sealed class QuantizationRanges
{
    /// <summary>[d] minimum per dimension (the quantization start).</summary>
    public float[] Min { get; }
    /// <summary>[d] maximum per dimension.</summary>
    public float[] Max { get; }
    public int Dimension => Min.Length;

    public QuantizationRanges(float[] min, float[] max)
    {
        if (min.Length != max.Length) throw new ArgumentException($"min has {min.Length} values, max {max.Length}", nameof(max));
        for (int i = 0; i < min.Length; i++)
            if (!(min[i] <= max[i])) throw new ArgumentException($"dimension {i}: min {min[i]} is not ≤ max {max[i]}", nameof(max));
        Min = min; Max = max;
    }

    /// <summary>
    /// np.vstack((np.min(e, axis=0), np.max(e, axis=0))) over <paramref name="embeddings"/>: [rows, dimension]
    /// row-major. At least one row; NaN is an error naming the row and dimension.
    /// </summary>
    public static QuantizationRanges Calibrate(ReadOnlySpan<float> embeddings, int dimension)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "dimension must be at least 1");
        if (embeddings.Length == 0 || embeddings.Length % dimension != 0)
            throw new ArgumentException($"calibration embeddings have {embeddings.Length} values, not a positive multiple of {dimension}", nameof(embeddings));
        var min = embeddings[..dimension].ToArray();
        var max = embeddings[..dimension].ToArray();
        for (int r = 0; r < embeddings.Length / dimension; r++)
        {
            ReadOnlySpan<float> row = embeddings.Slice(r * dimension, dimension);
            for (int i = 0; i < dimension; i++)
            {
                float v = row[i];
                if (float.IsNaN(v)) throw new ArgumentException($"calibration embedding {r} has NaN at dimension {i}", nameof(embeddings));
                if (v < min[i]) min[i] = v;
                if (v > max[i]) max[i] = v;
            }
        }
        return new QuantizationRanges(min, max);
    }

    /// <summary>Same over separate vectors of equal length.</summary>
    public static QuantizationRanges Calibrate(IReadOnlyList<float[]> embeddings)
    {
        if (embeddings.Count == 0) throw new ArgumentException("no calibration embeddings", nameof(embeddings));
        int d = embeddings[0].Length;
        var flat = new float[checked(embeddings.Count * d)];
        for (int r = 0; r < embeddings.Count; r++)
        {
            if (embeddings[r].Length != d) throw new ArgumentException($"calibration embedding {r} has {embeddings[r].Length} values, the first {d}", nameof(embeddings));
            embeddings[r].CopyTo(flat, r * d);
        }
        return Calibrate(flat, d);
    }
}
