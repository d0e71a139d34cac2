using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Tests.Support;

namespace BertSharp.Tests.Commands;

/// <summary>--embedding-table fp32|f16|int8|file (LoadOptions.WordEmbeddingPrecision) on the commands that take the model options.</summary>
[NonParallelizable]
public class CliEmbeddingTableTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter(); var error = new StringWriter();
        int code = Cli.Cli.Run(args, new StringReader(""), output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static float[] Embedding(string jsonLine)
    {
        using var doc = JsonDocument.Parse(jsonLine);
        return doc.RootElement.GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
    }

    [TestCase("f16", null, EmbeddingTablePrecision.Float16, WeightQuantization.None)]
    [TestCase("int8", null, EmbeddingTablePrecision.Int8, WeightQuantization.None)]
    [TestCase("fp32", "int8", EmbeddingTablePrecision.Float32, WeightQuantization.Int8)]
    public void EmbedUsesTheTablePrecisionAsked(string table, string? quantize, EmbeddingTablePrecision precision, WeightQuantization layers)
    {
        using var tiny = new TinyBertFolder();
        string[] args = quantize is null
            ? ["embed", "--model", tiny.Directory, "--embedding-table", table, "the dog barks"]
            : ["embed", "--model", tiny.Directory, "--quantize", quantize, "--embedding-table", table, "the dog barks"];
        var (code, output, err) = Run(args);
        Assert.That(code, Is.EqualTo(0), err);
        float[] expected = SentenceEmbedder.Load(tiny.Directory, new LoadOptions { Quantization = layers, WordEmbeddingPrecision = precision }).Embed("the dog barks");
        Assert.That(Embedding(output), Is.EqualTo(expected));
        float[] byDefault = SentenceEmbedder.Load(tiny.Directory, new LoadOptions { Quantization = layers }).Embed("the dog barks");
        Assert.That(Embedding(output), Is.Not.EqualTo(byDefault), "the flag changed the table");
    }

    [TestCase(null)]
    [TestCase("int8")]
    public void EmbedWithTheTableLeftInTheFileGivesTheFp32TableVector(string? quantize)
    {
        using var tiny = new TinyBertFolder();
        string[] args = quantize is null
            ? ["embed", "--model", tiny.Directory, "--embedding-table", "file", "the dog barks"]
            : ["embed", "--model", tiny.Directory, "--quantize", quantize, "--embedding-table", "file", "the dog barks"];
        var (code, output, err) = Run(args);
        Assert.That(code, Is.EqualTo(0), err);
        var layers = quantize is null ? WeightQuantization.None : WeightQuantization.Int8;
        float[] expected = SentenceEmbedder.Load(tiny.Directory, new LoadOptions { Quantization = layers, WordEmbeddingPrecision = EmbeddingTablePrecision.Float32 }).Embed("the dog barks");
        Assert.That(Embedding(output), Is.EqualTo(expected));
    }

    [Test]
    public void AnUnknownTablePrecisionIsAUsageError()
    {
        using var tiny = new TinyBertFolder();
        var (code, _, err) = Run("similarity", "--model", tiny.Directory, "--embedding-table", "bf16", "a", "b");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--embedding-table must be fp32, f16, int8 or file, got 'bf16'"));
    }
}
