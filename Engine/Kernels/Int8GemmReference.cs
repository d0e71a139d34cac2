namespace BertSharp.Engine.Kernels;

/// <summary>
/// The obviously-right int8 linear layer: quantize, integer dot products, dequantize, in plain loops. It is the oracle
/// the fast <see cref="Int8Gemm"/> must match bit for bit, and the place to read what the int8 layer computes.
/// </summary>
public static class Int8GemmReference
{
    /// <summary>
    /// y[i,j] = Dequantize(Σ_p xq[i,p]·wq[j,p], sx[i], sw[j]) + bias[j] (+ residual[i*n+j]), where x's rows and w's rows
    /// are quantized by <see cref="ActivationQuantization.QuantizeRow(ReadOnlySpan{float}, Span{sbyte})"/> (x: sx, xq; w: sw, wq) and the sum is exact
    /// int32. x: [m, k]; w: [n, k] fp32 (nn.Linear layout); bias: [n] or empty; residual: [m, n] or empty; y: [m, n].
    /// reducedWeightRange: w's rows are quantized to [-64, 64] (<see cref="ActivationQuantization.ReducedRange"/>), as by
    /// <see cref="QuantizedWeight.Quantize(ReadOnlySpan{float}, int, int, bool)"/> with reducedRange; x stays [-127, 127].
    /// wideActivations: x's rows are quantized to int16 with level <see cref="ActivationQuantization.WideLevel"/>(k)
    /// (<see cref="QuantizedWeight.WideActivations"/>). inputScale: [k] or empty: x[i, p] · inputScale[p] is what gets
    /// quantized (SmoothQuant's 1/s).
    /// </summary>
    public static void Linear(ReadOnlySpan<float> x, int m, int k, ReadOnlySpan<float> w, int n, ReadOnlySpan<float> bias,
        Span<float> y, ReadOnlySpan<float> residual = default, bool reducedWeightRange = false, bool wideActivations = false,
        ReadOnlySpan<float> inputScale = default)
    {
        GemmArguments.CheckLinear(x, m, k, n, bias, y, residual);
        GemmArguments.CheckLength(w, n, k, nameof(w), "[n, k]");
        if (k > QuantizedWeight.MaxK) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be <= {QuantizedWeight.MaxK}.");

        var wq = new sbyte[n * k];
        var sw = new float[n];
        for (int j = 0; j < n; j++)
            sw[j] = ActivationQuantization.QuantizeRow(w.Slice(j * k, k), wq.AsSpan(j * k, k),
                reducedWeightRange ? ActivationQuantization.ReducedRange : ActivationQuantization.FullRange);
        var xq = new short[k];
        var xq8 = new sbyte[k];
        var scaled = new float[k];
        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<float> row = x.Slice(i * k, k);
            if (!inputScale.IsEmpty)
            {
                for (int p = 0; p < k; p++) scaled[p] = row[p] * inputScale[p];
                row = scaled;
            }
            float sx;
            if (wideActivations)
                sx = ActivationQuantization.QuantizeRow(row, xq, ActivationQuantization.WideLevel(k));
            else
            {
                sx = ActivationQuantization.QuantizeRow(row, xq8);
                for (int p = 0; p < k; p++) xq[p] = xq8[p];
            }
            for (int j = 0; j < n; j++)
            {
                int acc = 0;
                for (int p = 0; p < k; p++)
                    acc += xq[p] * wq[j * k + p];
                float v = Dequantize(acc, sx, sw[j]);
                if (!bias.IsEmpty) v += bias[j];
                if (!residual.IsEmpty) v += residual[i * n + j];
                y[i * n + j] = v;
            }
        }
    }

    /// <summary>
    /// The one float expression every int8 path uses: (float)acc · (xScale · wScale) — the scale product first, then
    /// one multiply; bias and residual are added after it, in that order, each as a separate float add (no FMA).
    /// </summary>
    public static float Dequantize(int acc, float xScale, float wScale) => (float)acc * (xScale * wScale);
}
