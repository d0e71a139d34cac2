using System.Numerics.Tensors;
using BertSharp.Engine.Kernels;

namespace BertSharp.Engine.Model;

/// <summary>
/// A fully connected layer as torch.nn.Linear: y = x·Wᵀ + b.
/// The weight arrives as [outFeatures, inFeatures] row-major (as Hugging Face stores it) and is packed once, here,
/// into the panel layout the GEMM streams: fp32 panels (<see cref="PackedWeight"/>) or, for an int8 layer
/// (<see cref="Quantize"/>), int8 per output channel (<see cref="QuantizedWeight"/>, activations quantized per row at
/// run time, int32 sums, dequantize + bias + residual / activation in the epilogue). The unpacked copy is not kept.
/// </summary>
/// <remarks>
/// An int8 layer may carry SmoothQuant input scales s: [in] (<see cref="Quantize"/>): the weight is stored as
/// W·diag(s) and each input row is multiplied by 1/s before it is quantized, so x·Wᵀ is unchanged in exact arithmetic
/// while outlier input channels are flattened for the per-row activation quantization.
/// </remarks>
public sealed class Linear
{
    private readonly PackedWeight? _weight;
    private readonly float[]? _inverseInputScale; // [in] = 1/s, or null

    public int InFeatures { get; }
    public int OutFeatures { get; }
    /// <summary>W: [out, in], packed for <see cref="Gemm"/>. An int8 layer has none (see <see cref="Quantized"/>).</summary>
    public PackedWeight Weight => _weight ??
        throw new InvalidOperationException($"this [{OutFeatures},{InFeatures}] linear layer is int8: its weight is Quantized, not fp32");
    /// <summary>W·diag(s) quantized to int8 per output channel for <see cref="Int8Gemm"/>, or null for an fp32 layer.</summary>
    public QuantizedWeight? Quantized { get; }
    /// <summary>True when the layer runs on <see cref="Int8Gemm"/>.</summary>
    public bool IsInt8 => Quantized is not null;
    /// <summary>1/s: [in], the SmoothQuant factor each input row is multiplied by before quantization; empty when none.</summary>
    public ReadOnlySpan<float> InverseInputScale => _inverseInputScale;
    /// <summary>b: [out]</summary>
    public float[] Bias { get; }

    /// <summary>Calibration only: when set (an fp32 layer), every Forward raises it to max |x| per input column.</summary>
    internal float[]? ObservedInputMaxAbs { get; set; }

    public Linear(ReadOnlySpan<float> weight, float[] bias, int outFeatures, int inFeatures)
    {
        Check(weight, bias, outFeatures, inFeatures);
        _weight = PackedWeight.Pack(weight, outFeatures, inFeatures);
        Bias = bias; OutFeatures = outFeatures; InFeatures = inFeatures;
    }

    /// <summary>An fp32 layer on a weight already packed (e.g. read from the checkpoint a block of rows at a time).</summary>
    internal Linear(PackedWeight weight, float[] bias)
    {
        if (bias.Length != weight.N) throw new ArgumentException($"bias has {bias.Length} floats, expected [{weight.N}]", nameof(bias));
        _weight = weight;
        Bias = bias; OutFeatures = weight.N; InFeatures = weight.K;
    }

    private Linear(QuantizedWeight weight, float[] bias, float[]? inverseInputScale)
    {
        Quantized = weight;
        _inverseInputScale = inverseInputScale;
        Bias = bias; OutFeatures = weight.N; InFeatures = weight.K;
    }

    /// <summary>
    /// An int8 layer: W: [out, in] quantized symmetric per output channel (<see cref="QuantizedWeight.Quantize(ReadOnlySpan{float}, int, int)"/>).
    /// With <paramref name="inputMaxAbs"/> (max |x| per input column, from calibration), SmoothQuant scales
    /// s[p] = max|x[:, p]|^α / max|W[:, p]|^(1−α) are folded into the weight (see remarks); <paramref name="weight"/> is
    /// then scaled in place.
    /// </summary>
    /// <param name="alpha">SmoothQuant migration strength α in (0, 1): how much of the activation range moves into the weight</param>
    /// <param name="reducedRange">7-bit weights (|w| ≤ 64): the fast biased-u8 kernels without AVX-VNNI (docs/int8.md)</param>
    /// <param name="wideActivations">int16 input rows instead of int8 (<see cref="QuantizedWeight.WideActivations"/>)</param>
    public static Linear Quantize(Span<float> weight, float[] bias, int outFeatures, int inFeatures,
        ReadOnlySpan<float> inputMaxAbs = default, float alpha = 0.5f, bool reducedRange = false, bool wideActivations = false)
    {
        Check(weight, bias, outFeatures, inFeatures);
        float[]? inverse = null;
        if (!inputMaxAbs.IsEmpty)
        {
            if (inputMaxAbs.Length != inFeatures) throw new ArgumentException($"inputMaxAbs has {inputMaxAbs.Length} floats, expected [{inFeatures}]", nameof(inputMaxAbs));
            if (!(alpha > 0f && alpha < 1f)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "SmoothQuant alpha must be in (0, 1)");
            inverse = SmoothingScales(weight, outFeatures, inFeatures, inputMaxAbs, alpha);
        }
        return new Linear(QuantizedWeight.Quantize(weight, outFeatures, inFeatures, reducedRange, wideActivations), bias, inverse);
    }

    /// <summary>s per input column (1 where either range is 0 or not finite); scales W's columns by s; returns 1/s.</summary>
    private static float[] SmoothingScales(Span<float> weight, int outFeatures, int inFeatures, ReadOnlySpan<float> inputMaxAbs, float alpha)
    {
        var wMax = new float[inFeatures];
        for (int j = 0; j < outFeatures; j++)
        {
            ReadOnlySpan<float> row = weight.Slice(j * inFeatures, inFeatures);
            for (int p = 0; p < inFeatures; p++) wMax[p] = MathF.Max(wMax[p], MathF.Abs(row[p]));
        }
        var scale = new float[inFeatures];
        var inverse = new float[inFeatures];
        for (int p = 0; p < inFeatures; p++)
        {
            double s = Math.Pow(inputMaxAbs[p], alpha) / Math.Pow(wMax[p], 1 - alpha);
            scale[p] = double.IsFinite(s) && s > 0 ? (float)s : 1f;
            inverse[p] = 1f / scale[p];
        }
        for (int j = 0; j < outFeatures; j++)
            TensorPrimitives.Multiply(weight.Slice(j * inFeatures, inFeatures), scale, weight.Slice(j * inFeatures, inFeatures));
        return inverse;
    }

    private static void Check(ReadOnlySpan<float> weight, float[] bias, int outFeatures, int inFeatures)
    {
        if (weight.Length != outFeatures * inFeatures) throw new ArgumentException($"weight has {weight.Length} floats, expected [{outFeatures},{inFeatures}]", nameof(weight));
        if (bias.Length != outFeatures) throw new ArgumentException($"bias has {bias.Length} floats, expected [{outFeatures}]", nameof(bias));
    }

    /// <summary>y: [rows, out] = x: [rows, in] · Wᵀ + b.</summary>
    public void Forward(ReadOnlySpan<float> x, int rows, Span<float> y, int maxThreads)
    {
        if (Quantized is { } q) Int8Gemm.Linear(x, rows, q, Bias, y, default, maxThreads, inputScale: _inverseInputScale);
        else
        {
            Observe(x, rows);
            Gemm.Linear(x, rows, _weight!, Bias, y, default, maxThreads);
        }
    }

    /// <summary>y: [rows, out] = x · Wᵀ + b + residual: [rows, out] (the residual add fused into the GEMM).</summary>
    public void Forward(ReadOnlySpan<float> x, int rows, Span<float> y, ReadOnlySpan<float> residual, int maxThreads)
    {
        if (Quantized is { } q) Int8Gemm.Linear(x, rows, q, Bias, y, residual[..(rows * OutFeatures)], maxThreads, inputScale: _inverseInputScale);
        else
        {
            Observe(x, rows);
            Gemm.Linear(x, rows, _weight!, Bias, y, residual[..(rows * OutFeatures)], maxThreads);
        }
    }

    /// <summary>y = epilogue(x · Wᵀ + b), the epilogue (e.g. GELU) applied while each piece of y is still in cache.</summary>
    public void Forward<TEpilogue>(ReadOnlySpan<float> x, int rows, Span<float> y, TEpilogue epilogue, int maxThreads)
        where TEpilogue : struct, IGemmEpilogue
    {
        if (Quantized is { } q) Int8Gemm.Linear(x, rows, q, Bias, y, epilogue, default, maxThreads, inputScale: _inverseInputScale);
        else
        {
            Observe(x, rows);
            Gemm.Linear(x, rows, _weight!, Bias, y, epilogue, default, maxThreads);
        }
    }

    private void Observe(ReadOnlySpan<float> x, int rows)
    {
        float[]? max = ObservedInputMaxAbs;
        if (max is null) return;
        int k = InFeatures;
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<float> row = x.Slice(i * k, k);
            for (int p = 0; p < k; p++) max[p] = MathF.Max(max[p], MathF.Abs(row[p]));
        }
    }
}
