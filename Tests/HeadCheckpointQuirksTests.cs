using System.Text;
using BertSharp.Engine;
using BertSharp.Engine.Model.Heads;
using BertSharp.Weights;

namespace BertSharp.Tests;

/// <summary>
/// Heads read their tensors through the same checkpoint quirks as the encoder: sharded files (head tensors in another
/// shard than the encoder) and F16 storage.
/// </summary>
[NonParallelizable]
public class HeadCheckpointQuirksTests
{
    /// <summary>Rewrites tiny/seq-cls as two shards (bert.* | pooler + classifier), optionally in F16.</summary>
    private static string Reshard(bool f16)
    {
        string src = SharedData.Require("golden/tiny/seq-cls");
        string dir = Path.Combine(Path.GetTempPath(), $"bertsharp-sharded-head-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(src, "config.json"), Path.Combine(dir, "config.json"));
        var first = new SafeTensorsWriter(); var second = new SafeTensorsWriter();
        var map = new StringBuilder();
        long total = 0;
        using (var f = SafeTensorsFile.Open(Path.Combine(src, "model.safetensors")))
            foreach (TensorInfo t in f.Tensors)
            {
                bool head = t.Name.StartsWith("classifier.", StringComparison.Ordinal) || t.Name.StartsWith("bert.pooler.", StringComparison.Ordinal);
                string shard = head ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors";
                float[] data = f.ReadFloat32(t.Name);
                SafeTensorsWriter w = head ? second : first;
                if (f16)
                {
                    var h = new Half[data.Length];
                    for (int i = 0; i < data.Length; i++) h[i] = (Half)data[i];
                    w.Add(t.Name, h, t.Shape); total += 2L * data.Length;
                }
                else { w.Add(t.Name, data, t.Shape); total += 4L * data.Length; }
                if (map.Length > 0) map.Append(',');
                map.Append($"\"{t.Name}\":\"{shard}\"");
            }
        first.Save(Path.Combine(dir, "model-00001-of-00002.safetensors"));
        second.Save(Path.Combine(dir, "model-00002-of-00002.safetensors"));
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"),
            $"{{\"metadata\":{{\"total_size\":{total}}},\"weight_map\":{{{map}}}}}");
        return dir;
    }

    private static readonly BertBatch Batch = BertBatch.FromRows([[101, 1996, 4248, 2829, 4419, 102], [101, 7592, 2088, 999, 102]]);

    [Test]
    public void ShardedCheckpointGivesIdenticalLogits()
    {
        string dir = Reshard(f16: false);
        try
        {
            var sharded = BertForSequenceClassification.Load(dir);
            var single = BertForSequenceClassification.Load(SharedData.Require("golden/tiny/seq-cls"));
            Assert.That(sharded.UnexpectedTensors, Is.Empty);
            Assert.That(sharded.Run(Batch).Logits, Is.EqualTo(single.Run(Batch).Logits));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void F16CheckpointLoadsAndStaysClose()
    {
        string dir = Reshard(f16: true);
        try
        {
            var half = BertForSequenceClassification.Load(dir);
            var single = BertForSequenceClassification.Load(SharedData.Require("golden/tiny/seq-cls"));
            float[] a = half.Run(Batch).Logits, b = single.Run(Batch).Logits;
            Assert.That(a, Is.Not.EqualTo(b), "weights were rounded to F16");
            Assert.That(a, Is.EqualTo(b).Within(2e-2), "F16 rounding of the weights moves logits only slightly");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void UntiedConfigWithoutStoredDecoderIsAMissingTensor()
    {
        string src = SharedData.Require("golden/tiny/masked-lm");
        string dir = Path.Combine(Path.GetTempPath(), $"bertsharp-untied-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            File.Copy(Path.Combine(src, "model.safetensors"), Path.Combine(dir, "model.safetensors"));
            File.WriteAllText(Path.Combine(dir, "config.json"),
                File.ReadAllText(Path.Combine(src, "config.json")).Replace("\"vocab_size\"", "\"tie_word_embeddings\": false,\n  \"vocab_size\""));
            var e = Assert.Throws<CheckpointException>(() => BertHeads.Load(dir))!;
            Assert.That(e.Message, Does.Contain("missing 1: cls.predictions.decoder.weight [8000,32]").And.Contain("BertForMaskedLM"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestCase(HiddenActivation.Gelu)]
    [TestCase(HiddenActivation.GeluNew)]
    [TestCase(HiddenActivation.GeluPytorchTanh)]
    [TestCase(HiddenActivation.Relu)]
    public void PredictionTransformActivationMatchesReference(HiddenActivation act)
    {
        var rng = new Random(3);
        foreach (int n in new[] { 1, 7, 33, 384, 3072 })
        {
            var x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 12 - 6);
            var expected = (float[])x.Clone();
            switch (act)
            {
                case HiddenActivation.Gelu: Engine.Kernels.Activations.GeluErfReference(expected); break;
                case HiddenActivation.Relu: Engine.Kernels.Activations.ReluReference(expected); break;
                default: Engine.Kernels.Activations.GeluTanhReference(expected); break;
            }
            BertSharp.Engine.Model.ActivationFunction.Apply(act, x);
            Assert.That(x, Is.EqualTo(expected).Within(2e-6), $"{act} n={n}");
        }
    }
}
