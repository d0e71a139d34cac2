using BertSharp.Weights.Hub;

namespace BertSharp.Engine;

/// <summary>
/// How a model is loaded: weight precision and hub settings. Accepted by <see cref="BertModel.Load(string, LoadOptions?)"/>,
/// the task heads' Load, <see cref="SentenceEmbedder"/>, <see cref="CrossEncoder"/> and <see cref="SparseEncoder"/>.
/// </summary>
/// <example>
/// var model = BertModel.Load("models/all-MiniLM-L6-v2", new LoadOptions { Quantization = WeightQuantization.Int8 });
/// </example>
public sealed record LoadOptions
{
    /// <summary>fp32 (default) or dynamic int8 for the encoder's linear layers; see <see cref="WeightQuantization.Int8"/>.</summary>
    public WeightQuantization Quantization { get; init; }

    /// <summary>
    /// With <see cref="WeightQuantization.Int8"/>: the projections of every encoder layer that run int8; the others
    /// stay fp32 (a precision plan for layers too sensitive to quantize). Default: <see cref="DefaultInt8Projections"/>,
    /// the plan that passes the accuracy gate on all-MiniLM-L6-v2 fastest on this CPU (every plan measured:
    /// docs/quantization.md). Ignored without quantization.
    /// </summary>
    public EncoderProjections Int8Projections { get; init; } = DefaultInt8Projections;

    /// <summary>
    /// Every projection on x64 without AVX-VNNI (where <see cref="DefaultWideActivationProjections"/> runs the FFN down
    /// projection on int16 activations); elsewhere query/key/value, attention output and FFN up projection, with the
    /// FFN down projection fp32 — its GELU-output input has the widest outlier channels, and with int8 activations no
    /// plan passed the gate's per-row minimum.
    /// </summary>
    public static EncoderProjections DefaultInt8Projections =>
        Kernels.QuantizedWeight.ReducedRangeIsFaster ? EncoderProjections.All : PortableInt8Projections;

    /// <summary>Query/key/value, attention output and FFN up projection int8; FFN down fp32 (the plan where int16 activations do not pay).</summary>
    public const EncoderProjections PortableInt8Projections =
        EncoderProjections.QueryKeyValue | EncoderProjections.AttentionOutput | EncoderProjections.Intermediate;

    /// <summary>
    /// With <see cref="WeightQuantization.Int8"/>: the int8 projections whose weights use 7 bits (|w| ≤ 64) instead of 8.
    /// On CPUs without AVX-VNNI only 7-bit weights take the fast biased-u8 kernels (VPMADDUBSW cannot saturate:
    /// docs/int8.md); they cost accuracy (every plan measured: docs/quantization.md). Default:
    /// <see cref="DefaultReducedRangeProjections"/>.
    /// </summary>
    public EncoderProjections ReducedRangeProjections { get; init; } = DefaultReducedRangeProjections;

    /// <summary>
    /// Query/key/value and attention output on 7-bit weights where that is faster (x64 without AVX-VNNI:
    /// <see cref="Kernels.QuantizedWeight.ReducedRangeIsFaster"/>), else none: the fastest plan measured that still
    /// passes the accuracy gate on all-MiniLM-L6-v2 (golden min 0.9973, mean 0.9991, Spearman 0.9990; docs/quantization.md).
    /// </summary>
    public static EncoderProjections DefaultReducedRangeProjections =>
        Kernels.QuantizedWeight.ReducedRangeIsFaster ? EncoderProjections.QueryKeyValue | EncoderProjections.AttentionOutput : EncoderProjections.None;

    /// <summary>
    /// With <see cref="WeightQuantization.Int8"/>: the int8 projections whose inputs are quantized to int16
    /// (≈ 13–16 bits, <see cref="Kernels.QuantizedWeight.WideActivations"/>) instead of int8: nearly fp32-accurate
    /// activations with int8 weights. On x64 without AVX-VNNI they run faster than full-range int8 activations (the
    /// VPMADDWD kernel against the sign-trick kernel); elsewhere slower than int8 activations. Default:
    /// <see cref="DefaultWideActivationProjections"/>.
    /// </summary>
    public EncoderProjections WideActivationProjections { get; init; } = DefaultWideActivationProjections;

    /// <summary>
    /// FFN up and down projections on x64 without AVX-VNNI (there the int16-activation kernel beats the full-range int8
    /// one and makes the FFN down projection safe to quantize: golden min 0.9976, mean 0.9991, Spearman 0.9989 with
    /// 7-bit Q/K/V and attention output; docs/quantization.md); none elsewhere.
    /// </summary>
    public static EncoderProjections DefaultWideActivationProjections =>
        Kernels.QuantizedWeight.ReducedRangeIsFaster ? EncoderProjections.Intermediate | EncoderProjections.Output : EncoderProjections.None;

    /// <summary>
    /// With <see cref="WeightQuantization.Int8"/>: SmoothQuant migration strength α, or null for plain per-row
    /// activation quantization. At load, an fp32 copy of the encoder runs a built-in calibration text set and records
    /// max |x| per input channel of every int8 projection; s = max|x|^α / max|W|^(1−α) is folded into the weight
    /// columns and 1/s applied to the input before quantization (see docs/quantization.md). Default 0.5.
    /// </summary>
    public float? SmoothQuantAlpha { get; init; } = 0.5f;

    /// <summary>
    /// How the word-embedding table is stored; null (default) = <see cref="EmbeddingTablePrecision.Int8"/> (one fp32 scale a
    /// row) with <see cref="WeightQuantization.Int8"/>, else <see cref="EmbeddingTablePrecision.Float32"/>. The table is the
    /// biggest single tensor of a small model (all-MiniLM-L6-v2: 47 MB of 91 MB); int8 makes it a quarter of that
    /// (accuracy: docs/quantization.md); <see cref="EmbeddingTablePrecision.File"/> leaves it in the checkpoint file, read a
    /// row at a time (no memory, fp32 values; the file must stay unchanged). Masked-LM heads whose decoder is tied to the
    /// table load it fp32 unless this is set.
    /// </summary>
    public EmbeddingTablePrecision? WordEmbeddingPrecision { get; init; }

    /// <summary>Hub settings for a hub id; null = <see cref="HubOptions.FromEnvironment"/>.</summary>
    public HubOptions? Hub { get; init; }

    /// <summary>fp32, hub settings from the environment.</summary>
    public static LoadOptions Default { get; } = new();

    /// <summary><see cref="WordEmbeddingPrecision"/> with its default resolved.</summary>
    internal EmbeddingTablePrecision EffectiveWordEmbeddingPrecision =>
        WordEmbeddingPrecision ?? (Quantization == WeightQuantization.Int8 ? EmbeddingTablePrecision.Int8 : EmbeddingTablePrecision.Float32);

    /// <summary>Whether <paramref name="projection"/> of an encoder layer is loaded int8.</summary>
    internal bool IsInt8(EncoderProjections projection) =>
        Quantization == WeightQuantization.Int8 && (Int8Projections & projection) != 0;

    /// <summary>Whether <paramref name="projection"/> is loaded int8 with int16 activations.</summary>
    internal bool IsWide(EncoderProjections projection) =>
        IsInt8(projection) && (WideActivationProjections & projection) != 0;

    /// <summary>Whether <paramref name="projection"/> is loaded int8 with 7-bit weights.</summary>
    internal bool IsReducedRange(EncoderProjections projection) =>
        IsInt8(projection) && (ReducedRangeProjections & projection) != 0;
}
