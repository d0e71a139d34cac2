using System.Runtime.CompilerServices;
using BertSharp.Tokenization;
using BertSharp.Weights;

namespace BertSharp.Engine.Model;

/// <summary>
/// SmoothQuant calibration at load, one layer at a time: the built-in calibration texts
/// (Engine/Quantization/CalibrationTexts.txt; token ids from a fixed seed when the folder has no tokenizer) run as one
/// batch through the embeddings and then through each layer's fp32 form, recording max |x| per input channel of its
/// four projections (<see cref="Linear.ObservedInputMaxAbs"/>). The hidden state is carried from layer to layer, so
/// each layer sees what the fp32 model gives it, while only one fp32 layer exists at a time.
/// </summary>
internal sealed class SmoothingCalibration : IDisposable
{
    private readonly Workspace _workspace;
    private readonly BertBatch _batch;

    public SmoothingCalibration(BertConfig config, BertTokenizer? tokenizer, BertEmbeddings embeddings)
    {
        _batch = CalibrationBatch(config, tokenizer);
        _workspace = Workspace.Rent(_batch, config.HiddenSize, config.IntermediateSize, config.HeadDim,
            embeddings.Projection is null ? 0 : config.EmbeddingSize);
        embeddings.Forward(_batch, _workspace, 0);
    }

    /// <summary>
    /// Builds a layer's fp32 form with <paramref name="buildFp32Layer"/>, runs it (<see cref="Observe(BertLayer)"/>) and
    /// lets it go: its packed weights (the size of the fp32 layer) are collected at once, so the int8 layer and the next
    /// fp32 layer reuse that memory instead of the heap growing by one fp32 layer per layer (peak RSS: docs/int8.md).
    /// </summary>
    public float[][] Observe(Func<BertLayer> buildFp32Layer)
    {
        float[][] stats = BuildAndObserve(buildFp32Layer);
        GC.Collect();
        return stats;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]   // the layer must be unreachable when Observe collects
    private float[][] BuildAndObserve(Func<BertLayer> buildFp32Layer) => Observe(buildFp32Layer());

    /// <summary>
    /// Runs <paramref name="fp32Layer"/> on the carried hidden state (which becomes its output) and returns max |x| per
    /// input channel of its projections, in the order query/key/value, attention output, intermediate, output.
    /// </summary>
    public float[][] Observe(BertLayer fp32Layer)
    {
        Linear[] linears = [fp32Layer.SelfAttention.QueryKeyValue, fp32Layer.AttentionOutput, fp32Layer.Intermediate, fp32Layer.Output];
        var stats = new float[linears.Length][];
        for (int p = 0; p < linears.Length; p++) linears[p].ObservedInputMaxAbs = stats[p] = new float[linears[p].InFeatures];
        try
        {
            fp32Layer.Forward(_workspace.Hidden, new ForwardContext(_batch, _workspace, 0, CancellationToken.None), null);
        }
        finally
        {
            foreach (Linear linear in linears) linear.ObservedInputMaxAbs = null;
        }
        return stats;
    }

    /// <summary>
    /// The workspace (sized for the calibration batch, bigger than most calls) is not given back to the thread's cache:
    /// it would stay allocated for the model's lifetime.
    /// </summary>
    public void Dispose() { }

    private static BertBatch CalibrationBatch(BertConfig config, BertTokenizer? tokenizer)
    {
        int maxLength = Math.Min(128, config.MaxPositionEmbeddings);
        if (tokenizer is not null)
        {
            var encodings = new List<Encoding>();
            foreach (string text in CalibrationTexts.Value)
            {
                Encoding e = tokenizer.Encode(text);
                if (e.Ids.Length <= maxLength) encodings.Add(e);   // (a tokenizer that makes a text this long: skip it)
            }
            if (encodings.Count > 0) return BertBatch.FromEncodings(encodings, tokenizer.PadTokenId);
        }
        var rng = new Random(20261130);
        int rows = 32, length = Math.Min(32, maxLength);
        var ids = new int[rows * length];
        for (int i = 0; i < ids.Length; i++) ids[i] = rng.Next(config.VocabSize);
        return new BertBatch(rows, length, ids);
    }

    private static readonly Lazy<string[]> CalibrationTexts = new(() =>
    {
        const string Name = "BertSharp.Engine.Quantization.CalibrationTexts.txt";
        using Stream stream = typeof(SmoothingCalibration).Assembly.GetManifestResourceStream(Name)
            ?? throw new InvalidOperationException($"embedded resource {Name} is missing");
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is string line)
            if (line.Length > 0 && line[0] != '#') lines.Add(line);
        return lines.ToArray();
    });
}
