namespace BertSharp.Engine.Quantization;

/// <summary>
/// How far an int8 model (<see cref="WeightQuantization.Int8"/>) is from its fp32 original on a text set: the numbers
/// to read before switching. Sentence embeddings come from each model's <see cref="SentenceEmbedder"/> (the folder's
/// sentence-transformers recipe); similarities are cosine.
/// </summary>
/// <remarks>
/// <code>
/// LayerRelativeErrors[l] = ‖h_int8 − h_fp32‖ / ‖h_fp32‖ of hidden_states[l + 1] (the output of layer l), Frobenius
///                          norms over every valid (unpadded) token of every text
/// Cosine[i]              = cos(e_int8[i], e_fp32[i])  (sentence embeddings)
/// Spearman               = rank correlation of the n(n−1)/2 pairwise similarities cos(e[i], e[j]), i &lt; j, fp32 vs
///                          int8 (average ranks for ties)
/// TopKOverlap            = mean over i of |top-k neighbours of i by fp32 ∩ by int8| / k (i itself excluded)
/// </code>
/// </remarks>
public sealed class QuantizationReport
{
    /// <summary>Number of texts measured.</summary>
    public int Texts { get; }
    /// <summary>Relative error of each encoder layer's output, layer 0 first (see remarks).</summary>
    public IReadOnlyList<double> LayerRelativeErrors { get; }
    /// <summary>Sentence-embedding cosine int8 vs fp32, per text.</summary>
    public IReadOnlyList<double> Cosines { get; }
    public double CosineMin { get; }
    public double CosineMean { get; }
    /// <summary>Index of the text with the lowest cosine.</summary>
    public int WorstText { get; }
    /// <summary>Spearman correlation of all pairwise similarities, fp32 vs int8.</summary>
    public double Spearman { get; }
    /// <summary>k of <see cref="TopKOverlap"/> (at most texts − 1).</summary>
    public int TopK { get; }
    /// <summary>Mean top-k neighbour overlap, 0..1.</summary>
    public double TopKOverlap { get; }

    private QuantizationReport(int texts, double[] layers, double[] cosines, double spearman, int topK, double overlap)
    {
        Texts = texts; LayerRelativeErrors = layers; Cosines = cosines; Spearman = spearman; TopK = topK; TopKOverlap = overlap;
        double min = double.PositiveInfinity, sum = 0; int worst = 0;
        for (int i = 0; i < cosines.Length; i++)
        {
            sum += cosines[i];
            if (cosines[i] < min) { min = cosines[i]; worst = i; }
        }
        CosineMin = min; CosineMean = sum / cosines.Length; WorstText = worst;
    }

    /// <summary>
    /// Loads the folder twice, fp32 and with <paramref name="int8"/> (default: <see cref="WeightQuantization.Int8"/> with
    /// the default plan), and measures them on <paramref name="texts"/> (null = <see cref="DefaultTexts"/>).
    /// </summary>
    public static QuantizationReport Measure(string modelDirectory, IReadOnlyList<string>? texts = null, LoadOptions? int8 = null,
        int maxThreads = 0, CancellationToken cancellationToken = default)
    {
        int8 ??= new LoadOptions { Quantization = WeightQuantization.Int8 };
        if (int8.Quantization != WeightQuantization.Int8)
            throw new ArgumentException("the options to measure must quantize (Quantization = WeightQuantization.Int8)", nameof(int8));
        BertModel reference = BertModel.Load(modelDirectory, int8 with { Quantization = WeightQuantization.None });
        BertModel quantized = BertModel.Load(modelDirectory, int8);
        return Measure(reference, quantized, texts, maxThreads, cancellationToken);
    }

    /// <summary>Measures <paramref name="quantized"/> against <paramref name="reference"/> (the same checkpoint in fp32).</summary>
    public static QuantizationReport Measure(BertModel reference, BertModel quantized, IReadOnlyList<string>? texts = null,
        int maxThreads = 0, CancellationToken cancellationToken = default, int topK = 10)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(quantized);
        texts ??= DefaultTexts;
        if (texts.Count < 2) throw new ArgumentException($"the text set has {texts.Count} texts; the report needs at least 2", nameof(texts));
        if (reference.Config.HiddenSize != quantized.Config.HiddenSize || reference.Config.NumHiddenLayers != quantized.Config.NumHiddenLayers)
            throw new ArgumentException("the two models have different shapes: measure a checkpoint against itself", nameof(quantized));
        if (topK < 1) throw new ArgumentOutOfRangeException(nameof(topK), topK, "topK must be at least 1");

        var fp32 = new SentenceEmbedder(reference) { MaxThreads = maxThreads };
        var int8 = new SentenceEmbedder(quantized) { MaxThreads = maxThreads };
        float[][] a = fp32.Embed(texts, cancellationToken), b = int8.Embed(texts, cancellationToken);
        var cosines = new double[texts.Count];
        for (int i = 0; i < cosines.Length; i++) cosines[i] = VectorMath.CosineSimilarity(a[i], b[i]);

        double[] layers = LayerErrors(reference, quantized, texts, fp32.LongInputs, maxThreads, cancellationToken);
        double[] simA = PairwiseSimilarities(a), simB = PairwiseSimilarities(b);
        topK = Math.Min(topK, texts.Count - 1);
        return new QuantizationReport(texts.Count, layers, cosines, SpearmanCorrelation(simA, simB), topK,
            MeanTopKOverlap(simA, simB, texts.Count, topK));
    }

    private static double[] LayerErrors(BertModel reference, BertModel quantized, IReadOnlyList<string> texts,
        LongInputOptions longInputs, int maxThreads, CancellationToken cancellationToken)
    {
        int layers = reference.Config.NumHiddenLayers, h = reference.Config.HiddenSize;
        var diff = new double[layers];
        var norm = new double[layers];
        var options = new RunOptions { OutputHiddenStates = true, MaxThreads = maxThreads, CancellationToken = cancellationToken };
        const int Batch = 16;
        var chunk = new List<string>(Batch);
        for (int start = 0; start < texts.Count; start += Batch)
        {
            chunk.Clear();
            for (int i = start; i < Math.Min(texts.Count, start + Batch); i++) chunk.Add(texts[i]);
            ModelOutput x = reference.Run(chunk, null, options, longInputs), y = quantized.Run(chunk, null, options, longInputs);
            int[] mask = x.AttentionMask;
            for (int l = 0; l < layers; l++)
            {
                float[] hx = x.HiddenStates![l + 1], hy = y.HiddenStates![l + 1];
                for (int token = 0; token < mask.Length; token++)
                {
                    if (mask[token] == 0) continue;
                    for (int c = token * h; c < (token + 1) * h; c++)
                    {
                        double d = (double)hy[c] - hx[c];
                        diff[l] += d * d;
                        norm[l] += (double)hx[c] * hx[c];
                    }
                }
            }
        }
        var result = new double[layers];
        for (int l = 0; l < layers; l++) result[l] = norm[l] == 0 ? 0 : Math.Sqrt(diff[l] / norm[l]);
        return result;
    }

    /// <summary>cos(e[i], e[j]) for i &lt; j, row-major over i.</summary>
    private static double[] PairwiseSimilarities(float[][] e)
    {
        int n = e.Length;
        var s = new double[(long)n * (n - 1) / 2];
        int p = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) s[p++] = VectorMath.CosineSimilarity(e[i], e[j]);
        return s;
    }

    /// <summary>Index of pair (i, j), i ≠ j, in <see cref="PairwiseSimilarities"/>.</summary>
    private static int PairIndex(int i, int j, int n)
    {
        if (i > j) (i, j) = (j, i);
        return i * (2 * n - i - 1) / 2 + (j - i - 1);
    }

    /// <summary>Spearman's ρ: Pearson correlation of the average ranks.</summary>
    public static double SpearmanCorrelation(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"the series have different lengths {x.Length} and {y.Length}", nameof(y));
        double[] rx = Ranks(x), ry = Ranks(y);
        double mx = 0, my = 0;
        for (int i = 0; i < rx.Length; i++) { mx += rx[i]; my += ry[i]; }
        mx /= rx.Length; my /= ry.Length;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < rx.Length; i++)
        {
            double dx = rx[i] - mx, dy = ry[i] - my;
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    private static double[] Ranks(ReadOnlySpan<double> values)
    {
        var order = new int[values.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        double[] copy = values.ToArray();
        Array.Sort(copy.ToArray(), order);
        var ranks = new double[values.Length];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && copy[order[j + 1]] == copy[order[i]]) j++;
            double rank = (i + j) / 2.0 + 1;
            for (int t = i; t <= j; t++) ranks[order[t]] = rank;
            i = j + 1;
        }
        return ranks;
    }

    private static double MeanTopKOverlap(double[] simA, double[] simB, int n, int k)
    {
        double total = 0;
        var a = new int[k]; var b = new int[k];
        for (int i = 0; i < n; i++)
        {
            TopNeighbours(simA, n, i, a);
            TopNeighbours(simB, n, i, b);
            int common = 0;
            foreach (int x in a) if (Array.IndexOf(b, x) >= 0) common++;
            total += (double)common / k;
        }
        return total / n;
    }

    /// <summary>The k most similar texts to i (ties: lower index first).</summary>
    private static void TopNeighbours(double[] sim, int n, int i, int[] top)
    {
        int k = top.Length, filled = 0;
        for (int j = 0; j < n; j++)
        {
            if (j == i) continue;
            double s = sim[PairIndex(i, j, n)];
            int pos = filled;
            while (pos > 0 && sim[PairIndex(i, top[pos - 1], n)] < s) pos--;
            if (pos >= k) continue;
            for (int t = Math.Min(filled, k - 1); t > pos; t--) top[t] = top[t - 1];
            top[pos] = j;
            if (filled < k) filled++;
        }
    }

    /// <summary>
    /// The built-in text set: a few hundred varied English sentences (news, science, everyday life, questions,
    /// technical text, paraphrase pairs, short and long), one per line of Engine/Quantization/DefaultTexts.txt.
    /// </summary>
    public static IReadOnlyList<string> DefaultTexts => s_defaultTexts.Value;

    private static readonly Lazy<string[]> s_defaultTexts = new(() =>
    {
        using Stream stream = typeof(QuantizationReport).Assembly.GetManifestResourceStream(DefaultTextsResource)
            ?? throw new InvalidOperationException($"embedded resource {DefaultTextsResource} is missing from {typeof(QuantizationReport).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is string line)
            if (line.Length > 0 && line[0] != '#') lines.Add(line);
        return lines.ToArray();
    });

    internal const string DefaultTextsResource = "BertSharp.Engine.Quantization.DefaultTexts.txt";
}
