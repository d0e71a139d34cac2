using System.Text.Json;
using BertSharp.Cli;
using BertSharp.Engine;
using BertSharp.Weights;

namespace BertSharp.Tests.Commands;

/// <summary>The model commands of the bertsharp tool: embed, hidden, similarity.</summary>
[NonParallelizable]
public class CliModelCommandTests
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
        var e = doc.RootElement.GetProperty("embedding");
        var v = new float[e.GetArrayLength()];
        int i = 0;
        foreach (var x in e.EnumerateArray()) v[i++] = x.GetSingle();
        return v;
    }

    [Test]
    public void EmbedWritesOneLinePerTextMatchingTheApi()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        var (code, output, err) = Run("", "embed", "--model", model, "Hello world!", "Dogs bark.");
        Assert.That(code, Is.EqualTo(0), err);
        string[] lines = output.TrimEnd('\n').Split('\n');
        Assert.That(lines, Has.Length.EqualTo(2));
        float[][] expected = SentenceEmbedder.Load(model).Embed(["Hello world!", "Dogs bark."]);
        Assert.That(Embedding(lines[0]), Is.EqualTo(expected[0]));
        Assert.That(Embedding(lines[1]), Is.EqualTo(expected[1]));

        var (code2, output2, _) = Run("{\"text\": \"Hello world!\"}\n\n{\"text\": \"Dogs bark.\"}\n", "embed", "--model", model);
        Assert.That(code2, Is.EqualTo(0));
        Assert.That(output2, Is.EqualTo(output), "stdin JSON Lines give the same lines as arguments");
    }

    [Test]
    public void EmbedPoolingAndNormalizeOptions()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        var (code, output, err) = Run("", "embed", "--model", model, "--pooling", "cls", "--no-normalize", "Hello");
        Assert.That(code, Is.EqualTo(0), err);
        float[] expected = new SentenceEmbedder(BertModel.Load(model), PoolingMode.Cls, normalize: false).Embed("Hello");
        Assert.That(Embedding(output), Is.EqualTo(expected));
    }

    [Test]
    public void UsageAndModelErrorsAreReported()
    {
        var (code, _, err) = Run("", "embed", "hello");
        Assert.That(code, Is.EqualTo(2)); Assert.That(err, Does.Contain("missing required option --model"));
        (code, _, err) = Run("", "embed", "--model", "/no/such/folder", "hello");
        Assert.That(code, Is.EqualTo(1)); Assert.That(err, Does.Contain("/no/such/folder"));
        (code, _, err) = Run("", "embed", "--model", "x", "--pooling", "avg", "hello");
        Assert.That(code, Is.EqualTo(2)); Assert.That(err, Does.Contain("unknown pooling 'avg'"));
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        (code, _, err) = Run("{\"text\": 5}\n", "embed", "--model", model);
        Assert.That(code, Is.EqualTo(2)); Assert.That(err, Does.Contain("line 1").And.Contain("\"text\""));
        (code, _, err) = Run("not json\n", "embed", "--model", model);
        Assert.That(code, Is.EqualTo(2)); Assert.That(err, Does.Contain("line 1: not valid JSON"));
    }

    [Test]
    public void HiddenWritesGoldenNamedTensorsThatMatchTheGolden()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        string golden = SharedData.Require("golden/all-MiniLM-L6-v2/batch4_padded.safetensors");
        string path = Path.Combine(Path.GetTempPath(), $"bertsharp-hidden-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var g = SafeTensorsFile.Open(golden);
            long[] ids = g.ReadInt64("input_ids"), mask = g.ReadInt64("attention_mask");
            int[] shape = g.GetTensor("input_ids").ShapeAsInt32();
            var stdin = new System.Text.StringBuilder();
            for (int b = 0; b < shape[0]; b++)
            {
                var row = new List<long>(); var rowMask = new List<long>();
                for (int t = 0; t < shape[1]; t++) { row.Add(ids[b * shape[1] + t]); rowMask.Add(mask[b * shape[1] + t]); }
                stdin.Append($"{{\"input_ids\": [{string.Join(",", row)}], \"attention_mask\": [{string.Join(",", rowMask)}]}}\n");
            }
            var (code, _, err) = Run(stdin.ToString(), "hidden", "--model", model, "--output", path);
            Assert.That(code, Is.EqualTo(0), err);
            using var ours = SafeTensorsFile.Open(path);
            foreach (string name in new[] { "hidden_states.0", "hidden_states.6", "attentions.0", "attentions.5", "last_hidden_state",
                         "pooler_output", "sentence_embedding", "cls_embedding", "sum_last4", "embeddings_output" })
            {
                TensorInfo info = g.GetTensor(name);
                Assert.That(ours.GetTensor(name).Shape, Is.EqualTo(info.Shape), name);
                double diff = GoldenCompare.MaxAbsDiffValidRows(ours.ReadFloat32(name), g.ReadFloat32(name), info.ShapeAsInt32(),
                    Array.ConvertAll(mask, x => (int)x), name.StartsWith("attentions.", StringComparison.Ordinal), info.Shape.Length > 2, out _);
                Assert.That(diff, Is.LessThanOrEqualTo(2e-4), name);
            }
            Assert.That(ours.ReadInt64("input_ids"), Is.EqualTo(ids));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void HiddenAcceptsTextLines()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        string path = Path.Combine(Path.GetTempPath(), $"bertsharp-hidden-{Guid.NewGuid():N}.safetensors");
        try
        {
            var (code, _, err) = Run("{\"text\": \"How old are you?\", \"text_pair\": \"I am twenty.\"}\n{\"text\": \"Hi\"}\n",
                "hidden", "--model", model, "--output", path);
            Assert.That(code, Is.EqualTo(0), err);
            using var ours = SafeTensorsFile.Open(path);
            Assert.That(ours.GetTensor("last_hidden_state").Shape[0], Is.EqualTo(2));
            long[] types = ours.ReadInt64("token_type_ids");
            Assert.That(types, Does.Contain(1L), "the pair's second segment has token type 1");
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void SimilarityPrintsCosine()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        var (code, output, err) = Run("", "similarity", "--model", model, "A man is eating food.", "A man is eating bread.");
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(output);
        float s = doc.RootElement.GetProperty("similarity").GetSingle();
        Assert.That(s, Is.InRange(0.5f, 1f));
    }
}
