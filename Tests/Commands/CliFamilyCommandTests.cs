using System.Text.Json;
using BertSharp.Weights;

namespace BertSharp.Tests.Commands;

/// <summary>
/// `bertsharp embed` and `classify` end to end on every folder of shared/golden/families/models: the folder's own
/// tokenizer (WordPiece, byte-level BPE, Unigram) gives the golden ids of the `single` case's text, and the output
/// equals the golden activations (mean of last_hidden_state, L2-normalised; softmax of the logits).
/// </summary>
public class CliFamilyCommandTests
{
    /// <summary>The text of the folder's `single` case (cases/manifest.json).</summary>
    private static string SingleText(string model)
    {
        string path = Path.Combine(SharedData.Require("golden/families/models/" + model), "cases", "manifest.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
            if (c.GetProperty("name").GetString() == "single") return c.GetProperty("texts")[0].GetString()!;
        throw new InvalidOperationException(path + " has no 'single' case");
    }

    private static (int Code, string Out, string Err) Run(string stdin, params string[] args)
    {
        var output = new StringWriter(); var error = new StringWriter();
        int code = Cli.Cli.Run(args, new StringReader(stdin), output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static float[] Golden(string model, string tensor, out int[] shape)
    {
        string path = Path.Combine(SharedData.Require("golden/families/models/" + model), "cases", "single.safetensors");
        using var f = SafeTensorsFile.Open(path);
        shape = f.GetTensor(tensor).ShapeAsInt32();
        return f.ReadFloat32(tensor);
    }

    [TestCase("distilbert")]
    [TestCase("electra")]
    [TestCase("roberta")]
    [TestCase("xlm-roberta")]
    [TestCase("mpnet")]
    public void EmbedIsTheNormalisedMeanOfTheGoldenLastHiddenState(string model)
    {
        float[] hidden = Golden(model, "last_hidden_state", out int[] shape);
        int t = shape[1], h = shape[2];
        var expected = new double[h];
        for (int i = 0; i < t; i++) for (int c = 0; c < h; c++) expected[c] += hidden[i * h + c] / (double)t;
        double norm = Math.Sqrt(expected.Sum(x => x * x));

        var (code, stdout, stderr) = Run(JsonSerializer.Serialize(new { text = SingleText(model) }) + "\n", "embed", "--model",
            SharedData.Require("golden/families/models/" + model));
        Assert.That(code, Is.EqualTo(0), stderr);
        float[] actual = JsonDocument.Parse(stdout).RootElement.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.That(actual, Has.Length.EqualTo(h));
        for (int c = 0; c < h; c++) Assert.That(actual[c], Is.EqualTo(expected[c] / norm).Within(1e-5), $"dim {c}");
    }

    [TestCase("distilbert-seq-cls")]
    [TestCase("roberta-seq-cls")]
    public void ClassifyGivesTheSoftmaxOfTheGoldenLogits(string model)
    {
        float[] logits = Golden(model, "logits", out _);
        double max = logits.Max(), sum = logits.Sum(x => Math.Exp(x - max));
        string[] labels = ["negative", "neutral", "positive"];

        var (code, stdout, stderr) = Run(JsonSerializer.Serialize(new { text = SingleText(model) }) + "\n", "classify", "--model",
            SharedData.Require("golden/families/models/" + model));
        Assert.That(code, Is.EqualTo(0), stderr);
        JsonElement scores = JsonDocument.Parse(stdout).RootElement.GetProperty("scores");
        for (int i = 0; i < 3; i++)
            Assert.That(scores.GetProperty(labels[i]).GetDouble(), Is.EqualTo(Math.Exp(logits[i] - max) / sum).Within(1e-5), labels[i]);
    }
}
