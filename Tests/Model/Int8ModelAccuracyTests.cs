using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Engine.Quantization;
using BertSharp.Tests.Support;
using BertSharp.Weights;

namespace BertSharp.Tests.Model;

/// <summary>
/// The int8 accuracy gate (issue 11) on all-MiniLM-L6-v2: sentence embeddings of every golden case against the fp32
/// reference (cosine ≥ 0.995 per row, ≥ 0.998 mean), Spearman of the pairwise similarities on the default text set
/// (≥ 0.995), and the polysemy "bank" ordering.
/// </summary>
[NonParallelizable]
public class Int8ModelAccuracyTests
{
    private const string GoldenDir = "golden/all-MiniLM-L6-v2";
    private const string ModelDir = "models/all-MiniLM-L6-v2";

    private static readonly Lazy<BertModel> Int8 = new(() =>
        BertModel.Load(SharedData.Require(ModelDir), new LoadOptions { Quantization = WeightQuantization.Int8 }));
    private static readonly Lazy<BertModel> Fp32 = new(() => BertModel.Load(SharedData.Require(ModelDir)));

    [Test]
    public void GoldenSentenceEmbeddingsStayWithinTheGate()
    {
        var cosines = GoldenCosines(Int8.Value);
        foreach (var (name, row, cos) in cosines) TestContext.Out.WriteLine($"{name} row {row}: cosine {cos:F5}");
        double mean = cosines.Average(c => c.Cosine);
        var worst = cosines.MinBy(c => c.Cosine);
        TestContext.Out.WriteLine($"int8 vs fp32 reference over {cosines.Count} rows: min {worst.Cosine:F5} ({worst.Case} row {worst.Row}), mean {mean:F5}");
        Assert.That(cosines, Has.Count.GreaterThanOrEqualTo(12));
        Assert.That(worst.Cosine, Is.GreaterThanOrEqualTo(0.995), $"{worst.Case} row {worst.Row}");
        Assert.That(mean, Is.GreaterThanOrEqualTo(0.998));
    }

    /// <summary>The precision plans tried (docs/quantization.md records their numbers): run by hand.</summary>
    [Explicit("measures every precision plan (slow); its output is the table in docs/quantization.md")]
    [TestCase(EncoderProjections.All, null)]
    [TestCase(EncoderProjections.All, 0.5f)]
    [TestCase(EncoderProjections.All, 0.65f)]
    [TestCase(EncoderProjections.All, 0.8f)]
    [TestCase(EncoderProjections.All & ~EncoderProjections.Output, 0.5f)]
    [TestCase(EncoderProjections.All & ~EncoderProjections.Output, 0.65f)]
    [TestCase(EncoderProjections.All & ~EncoderProjections.Output, null)]
    [TestCase(EncoderProjections.All & ~EncoderProjections.Intermediate, 0.5f)]
    [TestCase(EncoderProjections.All & ~EncoderProjections.QueryKeyValue, 0.5f)]
    [TestCase(EncoderProjections.All & ~EncoderProjections.AttentionOutput, 0.5f)]
    [TestCase(EncoderProjections.QueryKeyValue | EncoderProjections.Intermediate, 0.5f)]
    public void MeasurePlan(EncoderProjections plan, float? alpha) => MeasurePlanWithReducedRange(plan, alpha, EncoderProjections.None);

    /// <summary>The default plan with some projections on 7-bit weights (the fast kernels without AVX-VNNI): run by hand.</summary>
    [Explicit("measures 7-bit-weight plans (slow); its output is the table in docs/quantization.md")]
    [TestCase(LoadOptions.PortableInt8Projections, 0.5f, EncoderProjections.QueryKeyValue)]
    [TestCase(LoadOptions.PortableInt8Projections, 0.5f, EncoderProjections.AttentionOutput)]
    [TestCase(LoadOptions.PortableInt8Projections, 0.5f, EncoderProjections.QueryKeyValue | EncoderProjections.AttentionOutput)]
    [TestCase(EncoderProjections.QueryKeyValue | EncoderProjections.Intermediate, 0.5f, EncoderProjections.QueryKeyValue)]
    public void MeasurePlanWithReducedRange(EncoderProjections plan, float? alpha, EncoderProjections reduced) =>
        MeasurePlanWithWideActivations(plan, alpha, reduced, EncoderProjections.None);

    /// <summary>Plans with some projections on int16 activations (QuantizedWeight.WideActivations): run by hand.</summary>
    [Explicit("measures wide-activation plans (slow); its output is the table in docs/quantization.md")]
    [TestCase(EncoderProjections.All, null, EncoderProjections.None, EncoderProjections.All)]
    [TestCase(EncoderProjections.All, 0.5f, EncoderProjections.None, EncoderProjections.All)]
    [TestCase(EncoderProjections.All, 0.5f, EncoderProjections.QueryKeyValue | EncoderProjections.AttentionOutput, EncoderProjections.Intermediate | EncoderProjections.Output)]
    [TestCase(EncoderProjections.All, 0.65f, EncoderProjections.QueryKeyValue | EncoderProjections.AttentionOutput, EncoderProjections.Intermediate | EncoderProjections.Output)]
    [TestCase(EncoderProjections.All, null, EncoderProjections.QueryKeyValue | EncoderProjections.AttentionOutput, EncoderProjections.Intermediate | EncoderProjections.Output)]
    [TestCase(EncoderProjections.All, 0.5f, EncoderProjections.QueryKeyValue | EncoderProjections.AttentionOutput, EncoderProjections.Output)]
    [TestCase(EncoderProjections.All, 0.5f, EncoderProjections.QueryKeyValue | EncoderProjections.AttentionOutput | EncoderProjections.Intermediate, EncoderProjections.Output)]
    [TestCase(EncoderProjections.All, 0.5f, EncoderProjections.All, EncoderProjections.Intermediate | EncoderProjections.Output)]
    public void MeasurePlanWithWideActivations(EncoderProjections plan, float? alpha, EncoderProjections reduced, EncoderProjections wide)
    {
        var model = BertModel.Load(SharedData.Require(ModelDir), new LoadOptions
        {
            Quantization = WeightQuantization.Int8, Int8Projections = plan, SmoothQuantAlpha = alpha, ReducedRangeProjections = reduced,
            WideActivationProjections = wide,
        });
        var cosines = GoldenCosines(model);
        QuantizationReport r = QuantizationReport.Measure(Fp32.Value, model);
        TestContext.Out.WriteLine($"PLAN {plan} alpha {alpha} 7-bit {reduced} int16-activations {wide}: golden min {cosines.Min(c => c.Cosine):F5} mean {cosines.Average(c => c.Cosine):F5}; " +
            $"default set min {r.CosineMin:F5} mean {r.CosineMean:F5} Spearman {r.Spearman:F5} top-{r.TopK} {r.TopKOverlap:F4}; " +
            $"layers {string.Join(" ", r.LayerRelativeErrors.Select(e => e.ToString("F4")))}");
    }

    /// <summary>The default plan with each word-embedding table precision (docs/quantization.md): run by hand.</summary>
    [Explicit("measures the word-embedding table precisions (slow); its output is the table in docs/quantization.md")]
    [TestCase(EmbeddingTablePrecision.Float32, WeightQuantization.Int8)]
    [TestCase(EmbeddingTablePrecision.Float16, WeightQuantization.Int8)]
    [TestCase(EmbeddingTablePrecision.Int8, WeightQuantization.Int8)]
    [TestCase(EmbeddingTablePrecision.Float16, WeightQuantization.None)]
    [TestCase(EmbeddingTablePrecision.Int8, WeightQuantization.None)]
    public void MeasureWordEmbeddingPrecision(EmbeddingTablePrecision precision, WeightQuantization layers)
    {
        var model = BertModel.Load(SharedData.Require(ModelDir),
            new LoadOptions { Quantization = layers, WordEmbeddingPrecision = precision });
        var cosines = GoldenCosines(model);
        QuantizationReport r = QuantizationReport.Measure(Fp32.Value, model);
        TestContext.Out.WriteLine($"TABLE {precision} layers {layers}: golden min {cosines.Min(c => c.Cosine):F5} mean {cosines.Average(c => c.Cosine):F5}; " +
            $"default set min {r.CosineMin:F5} mean {r.CosineMean:F5} Spearman {r.Spearman:F5} top-{r.TopK} {r.TopKOverlap:F4}");
    }

    private static List<(string Case, int Row, double Cosine)> GoldenCosines(BertModel model)
    {
        string dir = SharedData.Require(GoldenDir);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "manifest.json")));
        var cosines = new List<(string Case, int Row, double Cosine)>();
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string name = c.GetProperty("name").GetString()!;
            using var golden = SafeTensorsFile.Open(Path.Combine(dir, c.GetProperty("file").GetString()!));
            BertBatch batch = GoldenCompare.Inputs(golden);
            float[][] ours = Pooling.Pool(model.Run(batch), PoolingMode.Mean, normalize: true);
            float[] expected = golden.ReadFloat32("sentence_embedding");
            int h = ours[0].Length;
            for (int b = 0; b < ours.Length; b++)
                cosines.Add((name, b, VectorMath.CosineSimilarity(ours[b], expected.AsSpan(b * h, h))));
        }
        return cosines;
    }

    [Test]
    public void PairwiseSimilaritiesKeepTheirOrderOnTheDefaultTextSet()
    {
        QuantizationReport r = QuantizationReport.Measure(Fp32.Value, Int8.Value);
        TestContext.Out.WriteLine($"{r.Texts} texts: cosine min {r.CosineMin:F5} mean {r.CosineMean:F5}, Spearman {r.Spearman:F5}, " +
            $"top-{r.TopK} overlap {r.TopKOverlap:F4}, layer errors {string.Join(" ", r.LayerRelativeErrors.Select(e => e.ToString("F4")))}");
        Assert.That(r.Texts, Is.GreaterThanOrEqualTo(300));
        Assert.That(r.Spearman, Is.GreaterThanOrEqualTo(0.995));
        Assert.That(r.CosineMin, Is.GreaterThanOrEqualTo(0.995), $"worst text: {QuantizationReport.DefaultTexts[r.WorstText]}");
        Assert.That(r.CosineMean, Is.GreaterThanOrEqualTo(0.998));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void WordVectorsStillSeparateTheSensesOfBank(bool sumLastFourLayers)
    {
        float[] Bank(string text) =>
            ContextualWordVectors.Compute(Int8.Value, text, WordPieceAggregation.Mean, sumLastFourLayers).Single(w => w.Text == "bank").Vector;
        float[] river = Bank("the river flowed over the bank.");
        float[] finance1 = Bank("the bank strongly resisted cutting interest rates.");
        float[] finance2 = Bank("the bank raised interest rates again.");
        float riverVsFinance = VectorMath.CosineSimilarity(river, finance1);
        float financeVsFinance = VectorMath.CosineSimilarity(finance1, finance2);
        TestContext.Out.WriteLine($"int8: cos(river, finance) = {riverVsFinance:F4}, cos(finance, finance) = {financeVsFinance:F4}");
        Assert.That(riverVsFinance, Is.LessThan(financeVsFinance));
    }
}
