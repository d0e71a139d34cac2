using BertSharp.Engine.Kernels;

namespace BertSharp.Engine.Model;

/// <summary>The learned scale (gamma, HF "weight") and shift (beta, HF "bias") of a LayerNorm, with its eps.</summary>
public sealed class LayerNormParameters(float[] gamma, float[] beta, float eps)
{
    public float[] Gamma { get; } = gamma;
    public float[] Beta { get; } = beta;
    public float Eps { get; } = eps;

    /// <summary>x: [rows, n] normalised in place.</summary>
    public void Apply(Span<float> x, int rows) => LayerNorm.Apply(x, rows, Gamma.Length, Gamma, Beta, Eps, x);

    /// <summary>x: [rows, n] normalised in place, rows shared among up to <paramref name="maxThreads"/> kernel threads.</summary>
    public void Apply(Span<float> x, int rows, int maxThreads) => LayerNorm.Apply(x, rows, Gamma.Length, Gamma, Beta, Eps, x, maxThreads);
}
