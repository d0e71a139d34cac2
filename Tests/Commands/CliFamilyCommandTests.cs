using System.Text.Json;
using BertSharp.Weights;

namespace BertSharp.Tests.Commands;

/// <summary>
/// `bertsharp embed` and `classify` end to end on the WordPiece folders of shared/golden/families/models (DistilBERT,
/// ELECTRA): the folder's own tokenizer gives the golden ids, and the output equals the golden activations (mean of
/// last_hidden_state, L2-normalised; softmax of the logits). (The BPE/Unigram folders need the tokenizers that land
/// from other branches; MPNet's tokenizer.json has an lstrip &lt;mask&gt;, see the tokenizer work.)
/// </summary>
public class CliFamilyCommandTests
{
    private const string Text = "The quick brown fox jumps over the lazy dog.";

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
    public void EmbedIsTheNormalisedMeanOfTheGoldenLastHiddenState(string model)
    {
        float[] hidden = Golden(model, "last_hidden_state", out int[] shape);
        int t = shape[1], h = shape[2];
        var expected = new double[h];
        for (int i = 0; i < t; i++) for (int c = 0; c < h; c++) expected[c] += hidden[i * h + c] / (double)t;
        double norm = Math.Sqrt(expected.Sum(x => x * x));

        var (code, stdout, stderr) = Run(JsonSerializer.Serialize(new { text = Text }) + "\n", "embed", "--model",
            SharedData.Require("golden/families/models/" + model));
        Assert.That(code, Is.EqualTo(0), stderr);
        float[] actual = JsonDocument.Parse(stdout).RootElement.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.That(actual, Has.Length.EqualTo(h));
        for (int c = 0; c < h; c++) Assert.That(actual[c], Is.EqualTo(expected[c] / norm).Within(1e-5), $"dim {c}");
    }

    [Test]
    public void ClassifyGivesTheSoftmaxOfTheGoldenLogits()
    {
        float[] logits = Golden("distilbert-seq-cls", "logits", out _);
        double max = logits.Max(), sum = logits.Sum(x => Math.Exp(x - max));
        string[] labels = ["negative", "neutral", "positive"];

        var (code, stdout, stderr) = Run(JsonSerializer.Serialize(new { text = Text }) + "\n", "classify", "--model",
            SharedData.Require("golden/families/models/distilbert-seq-cls"));
        Assert.That(code, Is.EqualTo(0), stderr);
        JsonElement scores = JsonDocument.Parse(stdout).RootElement.GetProperty("scores");
        for (int i = 0; i < 3; i++)
            Assert.That(scores.GetProperty(labels[i]).GetDouble(), Is.EqualTo(Math.Exp(logits[i] - max) / sum).Within(1e-5), labels[i]);
    }
}
