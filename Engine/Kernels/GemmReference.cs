namespace BertSharp.Engine.Kernels;

/// <summary>
/// The obviously-right linear layer: a plain triple loop. It is the oracle the fast <see cref="Gemm"/> is tested
/// against and the place to read what a linear layer computes.
/// </summary>
public static class GemmReference
{
    /// <summary>
    /// y[i,j] = sum_p x[i*k+p] * w[j*k+p] + bias[j] (+ residual[i*n+j] when given).
    /// x: [m, k] row-major; w: [n, k] row-major (nn.Linear / Hugging Face layout); bias: [n] or empty;
    /// residual: [m, n] or empty; y: [m, n] row-major.
    /// </summary>
    public static void Linear(ReadOnlySpan<float> x, int m, int k, ReadOnlySpan<float> w, int n, ReadOnlySpan<float> bias,
        Span<float> y, ReadOnlySpan<float> residual = default)
    {
        GemmArguments.CheckLinear(x, m, k, n, bias, y, residual);
        GemmArguments.CheckLength(w, n, k, nameof(w), "[n, k]");

        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<float> xi = x.Slice(i * k, k);
            for (int j = 0; j < n; j++)
            {
                ReadOnlySpan<float> wj = w.Slice(j * k, k);
                float sum = 0f;
                for (int p = 0; p < k; p++)
                    sum += xi[p] * wj[p];
                if (!bias.IsEmpty) sum += bias[j];
                if (!residual.IsEmpty) sum += residual[i * n + j];
                y[i * n + j] = sum;
            }
        }
    }
}
