using BertSharp.Engine;
using BertSharp.Engine.Quantization;
using BertSharp.Tests.Support;

namespace BertSharp.Tests.Quantization;

/// <summary>QuantizationReport's statistics and its built-in text set.</summary>
public class QuantizationReportTests
{
    [Test]
    public void SpearmanIsOneForAMonotoneMapAndMinusOneReversed()
    {
        double[] x = [0.1, 0.5, 0.3, 0.9, -0.2];
        double[] y = x.Select(v => Math.Exp(3 * v)).ToArray();
        double[] z = x.Select(v => -v).ToArray();
        Assert.That(QuantizationReport.SpearmanCorrelation(x, y), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(QuantizationReport.SpearmanCorrelation(x, z), Is.EqualTo(-1.0).Within(1e-12));
    }

    [Test]
    public void SpearmanUsesAverageRanksForTies()
    {
        // ranks x: 1, 2.5, 2.5, 4; y: 1, 2, 3, 4 → Pearson of the ranks = 0.9486833
        Assert.That(QuantizationReport.SpearmanCorrelation([1, 2, 2, 3], [1, 2, 3, 4]), Is.EqualTo(0.9486833).Within(1e-6));
    }

    [Test]
    public void TheDefaultTextSetHasAFewHundredDistinctTexts()
    {
        IReadOnlyList<string> texts = QuantizationReport.DefaultTexts;
        Assert.That(texts.Count, Is.GreaterThanOrEqualTo(300));
        Assert.That(texts.Distinct().Count(), Is.EqualTo(texts.Count));
        Assert.That(texts, Has.None.StartsWith("#"));
        Assert.That(texts, Has.None.Empty);
    }

    [Test]
    public void AModelAgainstItselfIsPerfect()
    {
        using var tiny = new TinyBertFolder();
        BertModel model = BertModel.Load(tiny.Directory);
        QuantizationReport r = QuantizationReport.Measure(model, model, ["the dog", "a man eats food", "the river bank", "dogs bark"]);
        Assert.That(r.CosineMin, Is.EqualTo(1.0).Within(1e-6));
        Assert.That(r.Spearman, Is.EqualTo(1.0).Within(1e-12));
        Assert.That(r.TopK, Is.EqualTo(3));
        Assert.That(r.TopKOverlap, Is.EqualTo(1.0));
        Assert.That(r.LayerRelativeErrors, Has.Count.EqualTo(2).And.All.EqualTo(0.0));
    }

    [Test]
    public void MeasureRejectsTooFewTextsAndUnquantizedOptions()
    {
        using var tiny = new TinyBertFolder();
        Assert.Throws<ArgumentException>(() => QuantizationReport.Measure(tiny.Directory, ["only one"]));
        var ex = Assert.Throws<ArgumentException>(() => QuantizationReport.Measure(tiny.Directory, null, LoadOptions.Default));
        Assert.That(ex!.Message, Does.Contain("WeightQuantization.Int8"));
    }
}
