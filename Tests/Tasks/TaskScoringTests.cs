using BertSharp.Engine;
using BertSharp.Engine.Model.Heads;
using BertSharp.Engine.Tasks;

namespace BertSharp.Tests.Tasks;

/// <summary>Top-k, softmax/sigmoid/regression label scores, NSP probability, fill-mask helpers.</summary>
public class TaskScoringTests
{
    [Test]
    public void TopKIsDescendingWithLowerIdFirstOnTies()
    {
        float[] v = [0.1f, 0.5f, 0.3f, 0.5f, float.NaN, 0.3f, -1f];
        Assert.That(Scoring.TopK(v, 4), Is.EqualTo(new[] { new IndexScore(1, 0.5f), new IndexScore(3, 0.5f), new IndexScore(2, 0.3f), new IndexScore(5, 0.3f) }));
        Assert.That(Scoring.TopK(v, 1), Is.EqualTo(new[] { new IndexScore(1, 0.5f) }));
        Assert.That(Scoring.TopK(v, 100).Select(x => x.Index), Is.EqualTo(new[] { 1, 3, 2, 5, 0, 6 }), "NaN skipped, k clipped");
        Assert.That(() => Scoring.TopK(v, 0), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void TopKMatchesAFullSortOnRandomRows()
    {
        var rng = new Random(5);
        foreach (int n in new[] { 1, 7, 33, 384, 8000 })
        {
            var v = new float[n];
            for (int i = 0; i < n; i++) v[i] = rng.Next(50) / 7f;   // many ties
            var expected = Enumerable.Range(0, n).OrderByDescending(i => v[i]).ThenBy(i => i).Take(5).ToArray();
            Assert.That(Scoring.TopK(v, 5).Select(x => x.Index), Is.EqualTo(expected), $"n={n}");
        }
    }

    [Test]
    public void TopKProbabilitiesAreSoftmaxValues()
    {
        var top = Scoring.TopKProbabilities([1f, 3f, 2f], 2);
        double z = Math.Exp(1) + Math.Exp(3) + Math.Exp(2);
        Assert.That(top[0].Index, Is.EqualTo(1));
        Assert.That(top[0].Score, Is.EqualTo(Math.Exp(3) / z).Within(1e-6));
        Assert.That(top[1].Score, Is.EqualTo(Math.Exp(2) / z).Within(1e-6));
    }

    [Test]
    public void LabelScoresFollowTheProblemType()
    {
        string[] labels = ["neg", "pos"];
        var single = LabelScores.FromLogits([0f, 1f], labels, ProblemType.SingleLabelClassification);
        Assert.That(single.Label, Is.EqualTo("pos"));
        Assert.That(single.Scores[0].Score + single.Scores[1].Score, Is.EqualTo(1f).Within(1e-6));
        Assert.That(single.Score, Is.EqualTo(1 / (1 + Math.Exp(-1))).Within(1e-6));
        var multi = LabelScores.FromLogits([0f, 2f], labels, ProblemType.MultiLabelClassification);
        Assert.That(multi.Scores.Select(s => s.Score), Is.EqualTo(new[] { 0.5f, 1 / (1 + MathF.Exp(-2)) }).Within(1e-6));
        var reg = LabelScores.FromLogits([3.25f], ["score"], ProblemType.Regression);
        Assert.That((reg.Label, reg.Score), Is.EqualTo(("score", 3.25f)));
        var tie = LabelScores.FromLogits([1f, 1f], labels, ProblemType.SingleLabelClassification);
        Assert.That(tie.Label, Is.EqualTo("neg"));
        Assert.That(() => LabelScores.FromLogits([1f], labels, ProblemType.Regression), Throws.TypeOf<BertInputException>());
    }

    [Test]
    public void IsNextIsSoftmaxIndexZero()
    {
        Assert.That(LabelScores.IsNextProbability([2f, 0f]), Is.EqualTo(1 / (1 + Math.Exp(-2))).Within(1e-6));
        Assert.That(LabelScores.IsNextProbability([0f, 0f]), Is.EqualTo(0.5f));
        Assert.That(() => LabelScores.IsNextProbability([1f]), Throws.TypeOf<BertInputException>());
    }

    [Test]
    public void FillMaskHelpersFindAndFillMasks()
    {
        int[] ids = [101, 1996, 103, 1997, 103, 102];
        Assert.That(FillMaskPipeline.MaskPositions(ids, 103), Is.EqualTo(new[] { 2, 4 }));
        var masks = new[]
        {
            new MaskPrediction(2, [new TokenPrediction(3007, "capital", 0.5f), new TokenPrediction(1, "x", 0.1f)]),
            new MaskPrediction(4, [new TokenPrediction(3000, "paris", 0.9f)]),
        };
        Assert.That(FillMaskPipeline.Filled(ids, masks), Is.EqualTo(new[] { 101, 1996, 3007, 1997, 3000, 102 }));
    }
}
