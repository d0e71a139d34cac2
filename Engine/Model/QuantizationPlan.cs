using BertSharp.Tokenization;
using BertSharp.Weights;

namespace BertSharp.Engine.Model;

/// <summary>
/// Which encoder projections load int8 (<see cref="LoadOptions"/>) and, with SmoothQuant, the calibrated max |x| per
/// input channel of each of them: the one place a linear layer of the encoder is built.
/// </summary>
internal sealed class QuantizationPlan
{
    private static readonly EncoderProjections[] Projections =
        [EncoderProjections.QueryKeyValue, EncoderProjections.AttentionOutput, EncoderProjections.Intermediate, EncoderProjections.Output];

    private readonly LoadOptions _options;
    private readonly float[][][]? _inputMaxAbs; // [layer][projection index] → [in]

    private QuantizationPlan(LoadOptions options, float[][][]? inputMaxAbs)
    {
        _options = options;
        _inputMaxAbs = inputMaxAbs;
    }

    public static QuantizationPlan Float32 { get; } = new(LoadOptions.Default, null);

    /// <summary>The plan for <paramref name="options"/>; with int8 and SmoothQuant, calibrates an fp32 copy of the encoder first.</summary>
    public static QuantizationPlan Create(Checkpoint checkpoint, LoadOptions options, BertTokenizer? tokenizer)
    {
        if (options.Quantization != WeightQuantization.Int8) return new QuantizationPlan(options, null);
        if (options.SmoothQuantAlpha is not float alpha) return new QuantizationPlan(options, null);
        if (!(alpha > 0f && alpha < 1f))
            throw new ArgumentOutOfRangeException(nameof(options), alpha, "LoadOptions.SmoothQuantAlpha must be in (0, 1), or null for no smoothing");
        return new QuantizationPlan(options, Calibrate(checkpoint, tokenizer));
    }

    /// <summary>Layer <paramref name="layer"/>'s <paramref name="projection"/>: fp32, or int8 (smoothed when calibrated).</summary>
    public Linear Build(Span<float> weight, float[] bias, int outFeatures, int inFeatures, int layer, EncoderProjections projection)
    {
        if (!_options.IsInt8(projection)) return new Linear(weight, bias, outFeatures, inFeatures);
        if (_inputMaxAbs is null) return Linear.Quantize(weight, bias, outFeatures, inFeatures);
        return Linear.Quantize(weight, bias, outFeatures, inFeatures, _inputMaxAbs[layer][Array.IndexOf(Projections, projection)],
            _options.SmoothQuantAlpha!.Value);
    }

    /// <summary>
    /// Runs an fp32 encoder built from the same checkpoint on <c>CalibrationTexts.txt</c> (token ids drawn from a fixed
    /// seed when the folder has no tokenizer) and records max |x| per input channel of every projection.
    /// </summary>
    private static float[][][] Calibrate(Checkpoint checkpoint, BertTokenizer? tokenizer)
    {
        BertConfig config = checkpoint.Config;
        var encoder = new BertEncoder(checkpoint, config, Float32);
        var embeddings = new BertEmbeddings(checkpoint, config);
        var stats = new float[encoder.Layers.Count][][];
        for (int l = 0; l < stats.Length; l++)
        {
            BertLayer layer = encoder.Layers[l];
            Linear[] linears = [layer.SelfAttention.QueryKeyValue, layer.AttentionOutput, layer.Intermediate, layer.Output];
            stats[l] = new float[linears.Length][];
            for (int p = 0; p < linears.Length; p++) linears[p].ObservedInputMaxAbs = stats[l][p] = new float[linears[p].InFeatures];
        }
        foreach (BertBatch batch in CalibrationBatches(config, tokenizer))
        {
            using Workspace ws = Workspace.Rent(batch, config.HiddenSize, config.IntermediateSize, config.HeadDim);
            var context = new ForwardContext(batch, ws, 0, CancellationToken.None);
            embeddings.Forward(batch, ws.Packed, ws.Hidden);
            encoder.Forward(ws.Hidden, context, null, null);
        }
        return stats;
    }

    private static IEnumerable<BertBatch> CalibrationBatches(BertConfig config, BertTokenizer? tokenizer)
    {
        int maxLength = Math.Min(128, config.MaxPositionEmbeddings);
        const int BatchSize = 16;
        if (tokenizer is not null)
        {
            string[] texts = CalibrationTexts.Value;
            for (int start = 0; start < texts.Length; start += BatchSize)
            {
                var encodings = new List<Encoding>(BatchSize);
                for (int i = start; i < Math.Min(texts.Length, start + BatchSize); i++)
                {
                    Encoding e = tokenizer.Encode(texts[i]);
                    if (e.Ids.Length <= maxLength) encodings.Add(e);   // (a tokenizer that makes a text this long: skip it)
                }
                if (encodings.Count > 0) yield return BertBatch.FromEncodings(encodings, tokenizer.PadTokenId);
            }
            yield break;
        }
        var rng = new Random(20261130);
        int length = Math.Min(32, maxLength);
        for (int b = 0; b < 2; b++)
        {
            var ids = new int[BatchSize * length];
            for (int i = 0; i < ids.Length; i++) ids[i] = rng.Next(config.VocabSize);
            yield return new BertBatch(BatchSize, length, ids);
        }
    }

    private static readonly Lazy<string[]> CalibrationTexts = new(() =>
    {
        const string Name = "BertSharp.Engine.Quantization.CalibrationTexts.txt";
        using Stream stream = typeof(QuantizationPlan).Assembly.GetManifestResourceStream(Name)
            ?? throw new InvalidOperationException($"embedded resource {Name} is missing");
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is string line)
            if (line.Length > 0 && line[0] != '#') lines.Add(line);
        return lines.ToArray();
    });
}
