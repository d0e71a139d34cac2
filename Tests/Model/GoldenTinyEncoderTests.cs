using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Weights;

namespace BertSharp.Tests.Model;

/// <summary>
/// The encoder part of shared/golden/tiny: every tiny checkpoint (F32 with and without the bert. prefix, legacy
/// gamma/beta names, F16 + gelu_new, BF16 sharded) loaded as a BertModel, hidden states / attentions / pooler compared
/// with the reference on valid rows at the README's tolerances. (Task-head logits belong to the heads suite.)
/// </summary>
[NonParallelizable]
public class GoldenTinyEncoderTests
{
    private static readonly string[] Models =
        ["bert-base", "masked-lm", "masked-lm-untied", "seq-cls", "token-cls", "qa", "nsp", "pretraining", "gelu-new-f16", "bf16-sharded"];

    private static readonly Dictionary<string, BertModel> Loaded = new();

    public static IEnumerable<TestCaseData> Cases()
    {
        string? root = SharedData.TryGet("golden/tiny");
        if (root is null)
        {
            yield return new TestCaseData("(shared data absent)", "", "").SetName("Tiny encoder: shared data absent");
            yield break;
        }
        foreach (string model in Models)
        {
            string manifest = Path.Combine(root, model, "cases", "manifest.json");
            if (!File.Exists(manifest)) continue;
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifest));
            foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
                yield return new TestCaseData(model, c.GetProperty("name").GetString()!, c.GetProperty("file").GetString()!)
                    .SetName($"Tiny encoder {model} {c.GetProperty("name").GetString()}");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void EncoderTensorsMatchReference(string model, string caseName, string file)
    {
        string dir = SharedData.Require("golden/tiny/" + model);
        BertModel bert;
        lock (Loaded)
            if (!Loaded.TryGetValue(model, out bert!)) Loaded[model] = bert = BertModel.Load(dir);
        using var golden = SafeTensorsFile.Open(Path.GetFullPath(Path.Combine(dir, "cases", file)));
        BertBatch batch = GoldenCompare.Inputs(golden);
        ModelOutput o = bert.Run(batch, new RunOptions { OutputHiddenStates = true, OutputAttentions = true });

        int checkedTensors = 0;
        foreach (TensorInfo t in golden.Tensors)
        {
            float[]? ours = t.Name switch
            {
                "last_hidden_state" => o.LastHiddenState,
                "pooler_output" => o.PoolerOutput ?? throw new AssertionException("golden has pooler_output, model has no pooler"),
                _ when t.Name.StartsWith("hidden_states.", StringComparison.Ordinal) => o.HiddenStates![int.Parse(t.Name[14..])],
                _ when t.Name.StartsWith("attentions.", StringComparison.Ordinal) => o.Attentions![int.Parse(t.Name[11..])],
                _ => null,   // inputs and head logits
            };
            if (ours is null) continue;
            bool attention = t.Name.StartsWith("attentions.", StringComparison.Ordinal);
            double tol = t.Name switch
            {
                "hidden_states.0" or "pooler_output" => 1e-5,
                _ when attention => 5e-5,
                _ => 1e-4,
            };
            double diff = GoldenCompare.MaxAbsDiffValidRows(ours, golden.ReadFloat32(t.Name), t.ShapeAsInt32(), o.AttentionMask,
                attention, perToken: t.Shape.Length > 2, out _);
            TestContext.Out.WriteLine($"{model}/{caseName} {t.Name}: max abs diff {diff:E3} (tolerance {tol:E0})");
            Assert.That(diff, Is.LessThanOrEqualTo(tol), $"{model}/{caseName} {t.Name}");
            checkedTensors++;
        }
        Assert.That(checkedTensors, Is.GreaterThanOrEqualTo(5), "hidden states and attentions were compared");
        Assert.That(o.PoolerOutput is null, Is.EqualTo(!golden.TryGetTensor("pooler_output", out _)), "pooler presence follows the checkpoint");
    }

}
