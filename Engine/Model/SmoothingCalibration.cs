using System.Runtime.CompilerServices;
using BertSharp.Tokenization;
using BertSharp.Weights;

namespace BertSharp.Engine.Model;

/// <summary>
/// SmoothQuant calibration at load, one layer at a time: the built-in calibration texts
/// (Engine/Quantization/CalibrationTexts.txt; token ids from a fixed seed when the folder has no tokenizer) run through
/// the embeddings and then through each layer's fp32 form, recording max |x| per input channel of its four
/// projections (<see cref="Linear.ObservedInputMaxAbs"/>). The hidden state is carried from layer to layer, so each
/// layer sees what the fp32 model gives it, while only one fp32 layer exists at a time. The texts run in groups of
/// <see cref="GroupRows"/> rows (a row's numbers do not depend on its batch), so the scratch is that of a small batch;
/// only the carried hidden states, [tokens, hidden] per group, are kept for all texts.
/// </summary>
internal sealed class SmoothingCalibration : IDisposable
{
    /// <summary>Rows run at a time: bounds the scratch (Q/K/V, intermediate, attention) the calibration needs at load.</summary>
    internal const int GroupRows = 8;

    private readonly BertBatch[] _groups;
    private readonly float[][] _hidden;   // per group: packed [TotalTokens, hidden], the carried hidden state
    private Workspace? _workspace;        // its own: a thread's cached workspace would keep calibration scratch alive
    private readonly int _hiddenSize, _intermediate, _headDim, _embeddingWidth;

    public SmoothingCalibration(BertConfig config, BertTokenizer? tokenizer, BertEmbeddings embeddings)
    {
        BertBatch all = CalibrationBatch(config, tokenizer);
        _hiddenSize = config.HiddenSize; _intermediate = config.IntermediateSize; _headDim = config.HeadDim;
        _embeddingWidth = embeddings.Projection is null ? 0 : config.EmbeddingSize;
        _groups = Split(all, GroupRows);
        _hidden = new float[_groups.Length][];
        _workspace = Workspace.CreateUncached();
        for (int g = 0; g < _groups.Length; g++)
        {
            Workspace ws = Fit(_groups[g]);
            embeddings.Forward(_groups[g], ws, 0);
            _hidden[g] = ws.Hidden.AsSpan(0, ws.Packed.TotalTokens * _hiddenSize).ToArray();
        }
    }

    private Workspace Fit(BertBatch group) =>
        (_workspace ?? throw new ObjectDisposedException(nameof(SmoothingCalibration))).Fit(group, _hiddenSize, _intermediate, _headDim, _embeddingWidth);

    /// <summary>Rows [g·rows, (g+1)·rows) of <paramref name="batch"/> as batches of the same sequence length.</summary>
    private static BertBatch[] Split(BertBatch batch, int rows)
    {
        int t = batch.SequenceLength;
        var groups = new BertBatch[(batch.BatchSize + rows - 1) / rows];
        for (int g = 0; g < groups.Length; g++)
        {
            int first = g * rows, count = Math.Min(rows, batch.BatchSize - first);
            Range r = (first * t)..((first + count) * t);
            groups[g] = new BertBatch(count, t, batch.InputIds[r], batch.TokenTypeIds[r], batch.AttentionMask[r]);
        }
        return groups;
    }

    /// <summary>
    /// Observes layers 0 .. <paramref name="layers"/> − 1 in order, each built fp32 by <paramref name="buildFp32Layer"/>
    /// (<see cref="Observe(Func{BertLayer})"/>), then drops the calibration's scratch (<see cref="Dispose"/>).
    /// Returns per layer what <see cref="Observe(BertLayer)"/> returns.
    /// </summary>
    public float[][][] ObserveAll(int layers, Func<int, BertLayer> buildFp32Layer)
    {
        var stats = new float[layers][][];
        for (int i = 0; i < layers; i++)
        {
            int index = i;
            stats[i] = BuildAndObserve(() => buildFp32Layer(index));
            if (i < layers - 1) GC.Collect();   // as in Observe; after the last layer, Dispose collects
        }
        Dispose();
        return stats;
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
            for (int g = 0; g < _groups.Length; g++)   // each Forward raises the maxima over its rows
                fp32Layer.Forward(_hidden[g], new ForwardContext(_groups[g], Fit(_groups[g]), 0, CancellationToken.None), null);
        }
        finally
        {
            foreach (Linear linear in linears) linear.ObservedInputMaxAbs = null;
        }
        return stats;
    }

    /// <summary>
    /// Drops the scratch and the carried hidden states (nothing is given back to a thread's cache) and collects them,
    /// so a long-running process does not carry the load's leftovers until its next full GC.
    /// </summary>
    public void Dispose()
    {
        if (_workspace is null) return;
        _workspace = null;
        Array.Clear(_hidden);
        GC.Collect();
    }

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
