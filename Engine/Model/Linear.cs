using BertSharp.Engine.Kernels;

namespace BertSharp.Engine.Model;

/// <summary>
/// A fully connected layer as torch.nn.Linear: y = x·Wᵀ + b.
/// The weight arrives as [outFeatures, inFeatures] row-major (as Hugging Face stores it) and is packed once, here,
/// into the panel layout the GEMM streams: fp32 panels (<see cref="PackedWeight"/>) or, for an int8 layer
/// (<see cref="Quantize"/>), int8 per output channel (<see cref="QuantizedWeight"/>, activations quantized per row at
/// run time, int32 sums, dequantize + bias + residual / activation in the epilogue). The unpacked copy is not kept.
/// </summary>
public sealed class Linear
{
    private readonly PackedWeight? _weight;

    public int InFeatures { get; }
    public int OutFeatures { get; }
    /// <summary>W: [out, in], packed for <see cref="Gemm"/>. An int8 layer has none (see <see cref="Quantized"/>).</summary>
    public PackedWeight Weight => _weight ??
        throw new InvalidOperationException($"this [{OutFeatures},{InFeatures}] linear layer is int8: its weight is Quantized, not fp32");
    /// <summary>W quantized to int8 per output channel for <see cref="Int8Gemm"/>, or null for an fp32 layer.</summary>
    public QuantizedWeight? Quantized { get; }
    /// <summary>True when the layer runs on <see cref="Int8Gemm"/>.</summary>
    public bool IsInt8 => Quantized is not null;
    /// <summary>b: [out]</summary>
    public float[] Bias { get; }

    public Linear(float[] weight, float[] bias, int outFeatures, int inFeatures)
    {
        Check(weight, bias, outFeatures, inFeatures);
        _weight = PackedWeight.Pack(weight, outFeatures, inFeatures);
        Bias = bias; OutFeatures = outFeatures; InFeatures = inFeatures;
    }

    private Linear(QuantizedWeight weight, float[] bias)
    {
        Quantized = weight;
        Bias = bias; OutFeatures = weight.N; InFeatures = weight.K;
    }

    /// <summary>An int8 layer: W: [out, in] quantized symmetric per output channel (<see cref="QuantizedWeight.Quantize"/>).</summary>
    public static Linear Quantize(float[] weight, float[] bias, int outFeatures, int inFeatures)
    {
        Check(weight, bias, outFeatures, inFeatures);
        return new Linear(QuantizedWeight.Quantize(weight, outFeatures, inFeatures), bias);
    }

    private static void Check(float[] weight, float[] bias, int outFeatures, int inFeatures)
    {
        if (weight.Length != outFeatures * inFeatures) throw new ArgumentException($"weight has {weight.Length} floats, expected [{outFeatures},{inFeatures}]", nameof(weight));
        if (bias.Length != outFeatures) throw new ArgumentException($"bias has {bias.Length} floats, expected [{outFeatures}]", nameof(bias));
    }

    /// <summary>y: [rows, out] = x: [rows, in] · Wᵀ + b.</summary>
    public void Forward(ReadOnlySpan<float> x, int rows, Span<float> y, int maxThreads)
    {
        if (Quantized is { } q) Int8Gemm.Linear(x, rows, q, Bias, y, default, maxThreads);
        else Gemm.Linear(x, rows, _weight!, Bias, y, default, maxThreads);
    }

    /// <summary>y: [rows, out] = x · Wᵀ + b + residual: [rows, out] (the residual add fused into the GEMM).</summary>
    public void Forward(ReadOnlySpan<float> x, int rows, Span<float> y, ReadOnlySpan<float> residual, int maxThreads)
    {
        if (Quantized is { } q) Int8Gemm.Linear(x, rows, q, Bias, y, residual[..(rows * OutFeatures)], maxThreads);
        else Gemm.Linear(x, rows, _weight!, Bias, y, residual[..(rows * OutFeatures)], maxThreads);
    }

    /// <summary>y = epilogue(x · Wᵀ + b), the epilogue (e.g. GELU) applied while each piece of y is still in cache.</summary>
    public void Forward<TEpilogue>(ReadOnlySpan<float> x, int rows, Span<float> y, TEpilogue epilogue, int maxThreads)
        where TEpilogue : struct, IGemmEpilogue
    {
        if (Quantized is { } q) Int8Gemm.Linear(x, rows, q, Bias, y, epilogue, default, maxThreads);
        else Gemm.Linear(x, rows, _weight!, Bias, y, epilogue, default, maxThreads);
    }
}
