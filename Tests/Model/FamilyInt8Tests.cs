using BertSharp.Engine;

namespace BertSharp.Tests.Model;

/// <summary>
/// int8 (<see cref="WeightQuantization.Int8"/>, the default plan: SmoothQuant calibrated at load through the family's
/// own embeddings, FFN down projection fp32) loads and runs on every family fixture of shared/golden/families/models:
/// the sentence embedding of a few texts stays within cosine 0.999 of fp32 (measured ≥ 0.99998 on these tiny models),
/// and a text alone equals itself in a padded batch bit for bit.
/// </summary>
public class FamilyInt8Tests
{
    private static readonly string[] Texts =
    [
        "The quick brown fox jumps over the lazy dog.",
        "Les élèves étaient très contents.",
        "A slightly longer sentence, with a few more tokens in it, to pad the others.",
    ];

    [TestCase("roberta")]
    [TestCase("xlm-roberta")]
    [TestCase("distilbert")]
    [TestCase("electra")]
    [TestCase("mpnet")]
    public void Int8EmbeddingsStayCloseToFloat32AndAreBatchInvariant(string model)
    {
        string dir = SharedData.Require("golden/families/models/" + model);
        SentenceEmbedder fp32 = SentenceEmbedder.Load(dir, (LoadOptions?)null);
        SentenceEmbedder int8 = SentenceEmbedder.Load(dir, new LoadOptions { Quantization = WeightQuantization.Int8 });
        Assert.That(int8.Model.Quantization, Is.EqualTo(WeightQuantization.Int8));
        float[][] a = fp32.Embed(Texts), b = int8.Embed(Texts);
        for (int i = 0; i < Texts.Length; i++)
        {
            double dot = 0, na = 0, nb = 0;
            for (int c = 0; c < a[i].Length; c++) { dot += a[i][c] * b[i][c]; na += a[i][c] * a[i][c]; nb += b[i][c] * b[i][c]; }
            Assert.That(dot / Math.Sqrt(na * nb), Is.GreaterThanOrEqualTo(0.999), $"{model}: text {i}");
            Assert.That(int8.Embed(Texts[i]), Is.EqualTo(b[i]), $"{model}: text {i} alone vs in the batch");
        }
    }
}
