using BertSharp.Engine;

namespace BertSharp.Tests;

/// <summary><see cref="AttentionMaps"/>: one text's per-layer, per-head [len, len] probabilities cut from the padded batch.</summary>
[TestFixture]
public sealed class AttentionMapsTests
{
    [Test]
    public void Matrices_are_the_padded_attentions_cut_to_the_row_and_sum_to_one()
    {
        using var tiny = new TinyBertFolder();
        var model = BertModel.Load(tiny.Directory);
        string[] texts = ["the dog is eating food", "a bank"];            // row 1 is padded
        ModelOutput o = model.Run(texts, null, new RunOptions { OutputAttentions = true });
        var maps = AttentionMaps.FromOutput(o, 1);
        int t = o.SequenceLength, len = o.Batch.ActiveLength(1);
        Assert.That(len, Is.LessThan(t), "row 1 is shorter than the batch");
        Assert.That(maps.Length, Is.EqualTo(len));
        Assert.That(maps.Tokens, Is.EqualTo(o.Batch.Encodings![1].Tokens[..len]));
        Assert.That(maps.Layers, Is.EqualTo(tiny.Config.NumHiddenLayers));
        Assert.That(maps.Heads, Is.EqualTo(tiny.Config.NumAttentionHeads));
        for (int layer = 0; layer < maps.Layers; layer++)
            for (int head = 0; head < maps.Heads; head++)
            {
                float[] m = maps.Matrix(layer, head);
                for (int i = 0; i < len; i++)
                {
                    float sum = 0;
                    for (int j = 0; j < len; j++)
                    {
                        Assert.That(m[i * len + j], Is.EqualTo(o.Attentions![layer][((1 * maps.Heads + head) * t + i) * t + j]));
                        sum += m[i * len + j];
                    }
                    Assert.That(sum, Is.EqualTo(1f).Within(1e-5f), $"layer {layer} head {head} row {i}");
                }
            }

        AttentionMaps alone = AttentionMaps.Compute(model, "a bank");
        Assert.That(alone.Tokens, Is.EqualTo(maps.Tokens));
        float[] a = alone.Matrix(1, 2), b = maps.Matrix(1, 2);
        for (int i = 0; i < a.Length; i++) Assert.That(a[i], Is.EqualTo(b[i]).Within(1e-6f), "padding does not change a row's attention");
    }

    [Test]
    public void Out_of_range_layer_head_or_missing_attentions_name_the_problem()
    {
        using var tiny = new TinyBertFolder();
        var model = BertModel.Load(tiny.Directory);
        AttentionMaps maps = AttentionMaps.Compute(model, "the dog");
        Assert.That(() => maps.Matrix(2, 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("layer 2").And.Message.Contains("2 layers"));
        Assert.That(() => maps.Matrix(0, 5), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("head 5").And.Message.Contains("5 heads"));
        ModelOutput plain = model.Run(["the dog"]);
        Assert.That(() => AttentionMaps.FromOutput(plain), Throws.ArgumentException.With.Message.Contains("OutputAttentions"));
        AttentionMaps cut = AttentionMaps.Compute(model, string.Join(' ', Enumerable.Repeat("dog", 50)), maxLength: 10);
        Assert.That((cut.Length, cut.Truncated), Is.EqualTo((10, true)));
    }
}
