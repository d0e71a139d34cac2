namespace BertSharp.Engine.Kernels;

/// <summary>
/// Argument checks shared by the linear layers (<see cref="GemmReference"/>, <see cref="Gemm"/>, their int8 twins);
/// each message names the argument and its expected shape.
/// </summary>
internal static class GemmArguments
{
    /// <summary>y: [m, n] = x: [m, k] · wᵀ + bias: [n] or empty (+ residual: [m, n] or empty): shapes and lengths.</summary>
    public static void CheckLinear(ReadOnlySpan<float> x, int m, int k, int n, ReadOnlySpan<float> bias, ReadOnlySpan<float> y,
        ReadOnlySpan<float> residual)
    {
        CheckShape(m, k, n);
        CheckLength(x, m, k, nameof(x), "[m, k]");
        CheckBias(bias, n);
        CheckLength(y, m, n, nameof(y), "[m, n]");
        CheckResidual(residual, m, n);
    }

    /// <summary>The fast kernels write y while reading the others: y must not overlap x, bias or residual.</summary>
    public static void CheckNoOverlap(ReadOnlySpan<float> x, int m, int k, int n, ReadOnlySpan<float> bias, ReadOnlySpan<float> y,
        ReadOnlySpan<float> residual)
    {
        ReadOnlySpan<float> yUsed = y[..(m * n)];
        if (yUsed.Overlaps(x[..(m * k)])) throw new ArgumentException("y must not overlap x.", nameof(y));
        if (yUsed.Overlaps(bias)) throw new ArgumentException("y must not overlap bias.", nameof(y));
        if (!residual.IsEmpty && yUsed.Overlaps(residual[..(m * n)])) throw new ArgumentException("y must not overlap residual.", nameof(y));
    }

    public static void CheckShape(int m, int k, int n)
    {
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), m, "m (rows of x) must be >= 0.");
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), k, "k (inner dimension) must be > 0.");
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "n (output features) must be > 0.");
    }

    /// <summary>Throws unless span holds rows × cols floats; shape names the dimensions, e.g. "[m, k]".</summary>
    public static void CheckLength(ReadOnlySpan<float> span, int rows, int cols, string name, string shape)
    {
        long required = (long)rows * cols;
        if (span.Length < required)
            throw new ArgumentException($"{name} has {span.Length} elements but its shape {shape} = [{rows}, {cols}] needs {required}.", name);
    }

    public static void CheckBias(ReadOnlySpan<float> bias, int n)
    {
        if (!bias.IsEmpty && bias.Length != n)
            throw new ArgumentException($"bias has {bias.Length} elements but must be empty or have n = {n}.", nameof(bias));
    }

    public static void CheckResidual(ReadOnlySpan<float> residual, int m, int n)
    {
        if (!residual.IsEmpty)
            CheckLength(residual, m, n, nameof(residual), "[m, n]");
    }
}
