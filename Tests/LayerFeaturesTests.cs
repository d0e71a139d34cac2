using BertSharp.Engine;
using BertSharp.Tests.Support;

namespace BertSharp.Tests;

/// <summary>The BERT paper's last-four-layer recipes on a tiny model made here (no shared data).</summary>
public class LayerFeaturesTests
{
    [Test]
    public void SumAndConcatOfTheLastFourLayers()
    {
        using var folder = new TinyBertFolder(layers: 5);
        var model = BertModel.Load(folder.Directory);
        ModelOutput o = model.Run(BertBatch.FromRows(folder.RandomRows(new Random(2), 6, 3)), new RunOptions { OutputHiddenStates = true });
        int h = o.HiddenSize, tokens = o.BatchSize * o.SequenceLength;
        float[] sum = LayerFeatures.SumLastFour(o), concat = LayerFeatures.ConcatLastFour(o);
        Assert.That(concat, Has.Length.EqualTo(tokens * 4 * h));
        for (int t = 0; t < tokens; t++)
            for (int c = 0; c < h; c++)
            {
                // concat row t = [h5 | h4 | h3 | h2] (hidden_states 0 is the embeddings, 5 the last layer)
                for (int k = 0; k < 4; k++)
                    Assert.That(concat[(t * 4 + k) * h + c], Is.EqualTo(o.HiddenStates![5 - k][t * h + c]));
                float expected = ((o.HiddenStates![5][t * h + c] + o.HiddenStates[4][t * h + c]) + o.HiddenStates[3][t * h + c]) + o.HiddenStates[2][t * h + c];
                Assert.That(sum[t * h + c], Is.EqualTo(expected));
            }
    }

    [Test]
    public void RecipesNeedHiddenStatesAndFourLayers()
    {
        using var folder = new TinyBertFolder(layers: 2);
        var model = BertModel.Load(folder.Directory);
        BertBatch batch = BertBatch.FromRows(folder.RandomRows(new Random(2), 4));
        Assert.That(() => LayerFeatures.ConcatLastFour(model.Run(batch)), Throws.TypeOf<BertInputException>().With.Message.Contains("OutputHiddenStates"));
        Assert.That(() => LayerFeatures.SumLastFour(model.Run(batch, new RunOptions { OutputHiddenStates = true })),
            Throws.TypeOf<BertInputException>().With.Message.Contains("2 layers"));
    }
}
