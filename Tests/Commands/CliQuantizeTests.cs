using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Tests.Support;

namespace BertSharp.Tests.Commands;

/// <summary>--quantize int8 on the model commands and bertsharp quantize-report.</summary>
[NonParallelizable]
public class CliQuantizeTests
{
    private static (int Code, string Out, string Err) Run(string stdin, params string[] args)
    {
        var output = new StringWriter(); var error = new StringWriter();
        int code = Cli.Cli.Run(args, new StringReader(stdin), output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static float[] Embedding(string jsonLine)
    {
        using var doc = JsonDocument.Parse(jsonLine);
        return doc.RootElement.GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
    }

    [Test]
    public void EmbedWithQuantizeInt8MatchesTheInt8Api()
    {
        using var tiny = new TinyBertFolder();
        var (code, output, err) = Run("", "embed", "--model", tiny.Directory, "--quantize", "int8", "the dog barks");
        Assert.That(code, Is.EqualTo(0), err);
        float[] expected = SentenceEmbedder.Load(tiny.Directory, new LoadOptions { Quantization = WeightQuantization.Int8 }).Embed("the dog barks");
        float[] fp32 = SentenceEmbedder.Load(tiny.Directory).Embed("the dog barks");
        Assert.That(Embedding(output), Is.EqualTo(expected));
        Assert.That(Embedding(output), Is.Not.EqualTo(fp32), "int8 really ran");
    }

    [TestCase("int9")]
    [TestCase("INT8")]
    public void AnUnknownPrecisionIsAUsageError(string value)
    {
        using var tiny = new TinyBertFolder();
        var (code, _, err) = Run("", "similarity", "--model", tiny.Directory, "--quantize", value, "a", "b");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--quantize must be none or int8"));
    }

    [TestCase("classify")]
    [TestCase("fill-mask")]
    [TestCase("ner")]
    [TestCase("qa")]
    [TestCase("nsp")]
    [TestCase("rerank")]
    [TestCase("words")]
    [TestCase("attention")]
    [TestCase("hidden")]
    [TestCase("search")]
    [TestCase("bench")]
    [TestCase("serve")]
    public void EveryModelCommandAcceptsQuantize(string command)
    {
        // Parsed before the model is needed: a missing folder fails after --quantize was accepted.
        var (code, _, err) = Run("", command, "--quantize", "int8", "--model", "/nonexistent/bertsharp-model");
        Assert.That(err, Does.Not.Contain("unknown option --quantize"), command);
        Assert.That(code, Is.Not.EqualTo(0));
    }

    [Test]
    public void BenchReportsTheInt8Path()
    {
        using var tiny = new TinyBertFolder();
        var (code, output, err) = Run("", "bench", "--model", tiny.Directory, "--quantize", "int8", "--seq", "8", "--runs", "2");
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(output);
        Assert.That(doc.RootElement.GetProperty("quantize").GetString(), Is.EqualTo("int8"));
        Assert.That(doc.RootElement.GetProperty("int8_path").GetString(), Is.EqualTo(Engine.Kernels.Int8Gemm.BestPath.ToString()));
        var (code2, output2, _) = Run("", "bench", "--model", tiny.Directory, "--seq", "8", "--runs", "2");
        Assert.That(code2, Is.EqualTo(0));
        using var doc2 = JsonDocument.Parse(output2);
        Assert.That(doc2.RootElement.GetProperty("quantize").GetString(), Is.EqualTo("none"));
    }

    [Test]
    public void QuantizeReportPrintsTheFidelityNumbers()
    {
        using var tiny = new TinyBertFolder();
        string texts = Path.Combine(tiny.Directory, "texts.txt");
        File.WriteAllLines(texts, ["the dog barks", "a man was eating food", "", "the river bank", "money in the bank", "dogs bark"]);
        var (code, output, err) = Run("", "quantize-report", "--model", tiny.Directory, "--texts", texts);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("texts 5 "));
        Assert.That(output, Does.Contain("sentence-embedding cosine to fp32: min 0."));
        Assert.That(output, Does.Contain("Spearman of 10 pairwise similarities"));
        Assert.That(output, Does.Contain("mean top-4 neighbour overlap"));
        Assert.That(output.Split('\n').Count(l => l.StartsWith("    0  ", StringComparison.Ordinal) || l.StartsWith("    1  ", StringComparison.Ordinal)), Is.EqualTo(2), output);

        var (badCode, _, badErr) = Run("", "quantize-report", "--model", tiny.Directory, "--texts", Path.Combine(tiny.Directory, "missing.txt"));
        Assert.That(badCode, Is.EqualTo(2));
        Assert.That(badErr, Does.Contain("missing.txt"));
    }
}
