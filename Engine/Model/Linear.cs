using BertSharp.Engine.Kernels;

namespace BertSharp.Engine.Model;

/// <summary>
/// A fully connected layer as torch.nn.Linear: y = x·Wᵀ + b.
/// The weight arrives as [outFeatures, inFeatures] row-major (as Hugging Face stores it) and is packed once, here,
/// into the panel layout the GEMM streams (<see cref="PackedWeight"/>); the unpacked copy is not kept.
/// </summary>
public sealed class Linear
{
    public int InFeatures { get; }
    public int OutFeatures { get; }
    /// <summary>W: [out, in], packed for <see cref="Gemm"/>.</summary>
    public PackedWeight Weight { get; }
    /// <summary>b: [out]</summary>
    public float[] Bias { get; }

    public Linear(ReadOnlySpan<float> weight, float[] bias, int outFeatures, int inFeatures)
    {
        if (weight.Length != outFeatures * inFeatures) throw new ArgumentException($"weight has {weight.Length} floats, expected [{outFeatures},{inFeatures}]", nameof(weight));
        if (bias.Length != outFeatures) throw new ArgumentException($"bias has {bias.Length} floats, expected [{outFeatures}]", nameof(bias));
        Weight = PackedWeight.Pack(weight, outFeatures, inFeatures);
        Bias = bias; OutFeatures = outFeatures; InFeatures = inFeatures;
    }

    /// <summary>y: [rows, out] = x: [rows, in] · Wᵀ + b.</summary>
    public void Forward(ReadOnlySpan<float> x, int rows, Span<float> y, int maxThreads) =>
        Gemm.Linear(x, rows, Weight, Bias, y, default, maxThreads);

    /// <summary>y: [rows, out] = x · Wᵀ + b + residual: [rows, out] (the residual add fused into the GEMM).</summary>
    public void Forward(ReadOnlySpan<float> x, int rows, Span<float> y, ReadOnlySpan<float> residual, int maxThreads) =>
        Gemm.Linear(x, rows, Weight, Bias, y, residual[..(rows * OutFeatures)], maxThreads);

    /// <summary>y = epilogue(x · Wᵀ + b), the epilogue (e.g. GELU) applied while each piece of y is still in cache.</summary>
    public void Forward<TEpilogue>(ReadOnlySpan<float> x, int rows, Span<float> y, TEpilogue epilogue, int maxThreads)
        where TEpilogue : struct, IGemmEpilogue =>
        Gemm.Linear(x, rows, Weight, Bias, y, epilogue, default, maxThreads);
}
