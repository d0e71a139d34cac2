using BertSharp.Engine;
using BertSharp.Extensions.AI;
using Microsoft.Extensions.AI;

namespace BertSharp.Tests.Extensions.AI;

/// <summary>BertEmbeddingGeneratorOptions.Quantization loads the int8 encoder.</summary>
public class Int8EmbeddingGeneratorTests
{
    [Test]
    public async Task QuantizationOptionGivesTheInt8Embeddings()
    {
        using var tiny = new TinyBertFolder();
        using var generator = BertEmbeddingGenerator.Load(tiny.Directory, o => o.Quantization = WeightQuantization.Int8);
        Assert.That(generator.Embedder.Model.Quantization, Is.EqualTo(WeightQuantization.Int8));
        GeneratedEmbeddings<Embedding<float>> e = await generator.GenerateAsync(["the dog barks"]);
        float[] expected = SentenceEmbedder.Load(tiny.Directory, new LoadOptions { Quantization = WeightQuantization.Int8 }).Embed("the dog barks");
        Assert.That(e[0].Vector.ToArray(), Is.EqualTo(expected));
        using var fp32 = BertEmbeddingGenerator.Load(tiny.Directory);
        Assert.That(fp32.Embedder.Model.Quantization, Is.EqualTo(WeightQuantization.None));
    }
}
