namespace BertSharp.Engine.Model;

/// <summary>
/// Which encoder projections load int8 (<see cref="LoadOptions"/>) and whether they are smoothed (SmoothQuant, with
/// statistics from <see cref="SmoothingCalibration"/>): the one place a linear layer of the encoder is built.
/// </summary>
internal sealed class QuantizationPlan
{
    private readonly LoadOptions _options;

    public QuantizationPlan(LoadOptions options)
    {
        if (options.Quantization == WeightQuantization.Int8 && options.SmoothQuantAlpha is float alpha && !(alpha > 0f && alpha < 1f))
            throw new ArgumentOutOfRangeException(nameof(options), alpha, "LoadOptions.SmoothQuantAlpha must be in (0, 1), or null for no smoothing");
        _options = options;
    }

    public static QuantizationPlan Float32 { get; } = new(LoadOptions.Default);

    /// <summary>
    /// True when some projection is int8 and smoothed: the encoder must be calibrated layer by layer. Projections with
    /// int16 activations are smoothed too: measured, smoothing them keeps more accuracy than not (docs/quantization.md).
    /// </summary>
    public bool NeedsCalibration =>
        _options.Quantization == WeightQuantization.Int8 && _options.SmoothQuantAlpha is not null && _options.Int8Projections != EncoderProjections.None;

    /// <summary>True when <paramref name="projection"/> is built int8 (<see cref="Build"/> then needs its whole unpacked weight).</summary>
    public bool IsInt8(EncoderProjections projection) => _options.IsInt8(projection);

    /// <summary>
    /// A projection: fp32, or int8, smoothed with <paramref name="inputMaxAbs"/> (max |x| per input channel from
    /// calibration) when given.
    /// </summary>
    public Linear Build(Span<float> weight, float[] bias, int outFeatures, int inFeatures, EncoderProjections projection,
        ReadOnlySpan<float> inputMaxAbs)
    {
        if (!_options.IsInt8(projection)) return new Linear(weight, bias, outFeatures, inFeatures);
        bool reduced = _options.IsReducedRange(projection), wide = _options.IsWide(projection);
        if (inputMaxAbs.IsEmpty || _options.SmoothQuantAlpha is not float alpha)
            return Linear.Quantize(weight, bias, outFeatures, inFeatures, reducedRange: reduced, wideActivations: wide);
        return Linear.Quantize(weight, bias, outFeatures, inFeatures, inputMaxAbs, alpha, reduced, wide);
    }
}
