using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Engine.Kernels;
using BertSharp.Engine.Model;
using BertSharp.Engine.Model.Heads;
using BertSharp.Engine.Model.Reference;
using BertSharp.Weights;

namespace BertSharp.Tests.Model;

/// <summary>
/// shared/golden/families/models: tiny random RobertaModel, RobertaForSequenceClassification, XLMRobertaModel,
/// DistilBertModel, DistilBertForSequenceClassification, ElectraModel and MPNetModel checkpoints with activations from an
/// independent PyTorch implementation. Each case's input_ids / attention_mask / token_type_ids go straight to the
/// engine (no tokenizer), on every SIMD path this CPU has and through the reference encoder; hidden_states.N,
/// last_hidden_state, attentions, pooler_output, logits and ELECTRA's embeddings_output must match on valid rows
/// within the README's tolerances. The informative position_ids (RoBERTa-style) and relative_position_bucket (MPNet)
/// must match exactly.
/// </summary>
[NonParallelizable]   // forces a process-wide kernel path
public class GoldenFamiliesEncoderTests
{
    private static readonly string[] Models = ["roberta", "roberta-seq-cls", "xlm-roberta", "distilbert", "distilbert-seq-cls", "electra", "mpnet"];
    private static readonly string[] Engines = ["reference", nameof(GemmPath.Vector512), nameof(GemmPath.Vector256), nameof(GemmPath.Portable)];

    private sealed record Loaded(BertModel Fast, BertForSequenceClassification? Classifier, ReferenceBertModel Reference);
    private static readonly Dictionary<string, Loaded> s_loaded = new();
    private static readonly List<string> s_tempDirs = new();

    [OneTimeTearDown]
    public void Cleanup()
    {
        foreach (string d in s_tempDirs) Directory.Delete(d, recursive: true);
        s_tempDirs.Clear();
        s_loaded.Clear();
    }

    /// <summary>
    /// The folder's config.json and model.safetensors only: the encoder is tested on the cases' ids, independently of
    /// the folder's tokenizer (BPE and Unigram tokenizer.json load through other work).
    /// </summary>
    internal static string WeightsOnlyCopy(string modelDir)
    {
        string dir = Path.Combine(Path.GetTempPath(), "bertsharp-families-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(modelDir, "config.json"), Path.Combine(dir, "config.json"));
        File.Copy(Path.Combine(modelDir, "model.safetensors"), Path.Combine(dir, "model.safetensors"));
        lock (s_tempDirs) s_tempDirs.Add(dir);
        return dir;
    }

    private static Loaded Load(string model)
    {
        lock (s_loaded)
        {
            if (s_loaded.TryGetValue(model, out Loaded? m)) return m;
            string dir = WeightsOnlyCopy(SharedData.Require("golden/families/models/" + model));
            BertForSequenceClassification? cls = model.EndsWith("-seq-cls", StringComparison.Ordinal) ? BertForSequenceClassification.Load(dir) : null;
            m = new Loaded(cls?.Bert ?? BertModel.Load(dir), cls, ReferenceBertModel.Load(dir));
            s_loaded[model] = m;
            return m;
        }
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        string? root = SharedData.TryGet("golden/families/models");
        if (root is null)
        {
            yield return new TestCaseData("(shared data absent)", "", "", "").SetName("Families encoder: shared data absent");
            yield break;
        }
        foreach (string model in Models)
        {
            string manifest = Path.Combine(root, model, "cases", "manifest.json");
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifest));
            foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
                foreach (string engine in Engines)
                    yield return new TestCaseData(model, c.GetProperty("name").GetString()!, c.GetProperty("file").GetString()!, engine)
                        .SetName($"Families {model} {c.GetProperty("name").GetString()} [{engine}]");
        }
    }

    /// <summary>input_ids, attention_mask and (when stored) token_type_ids, int64 [B,T].</summary>
    internal static BertBatch Inputs(SafeTensorsFile golden)
    {
        int[] shape = golden.GetTensor("input_ids").ShapeAsInt32();
        int[]? types = golden.TryGetTensor("token_type_ids", out _) ? ToInt32(golden.ReadInt64("token_type_ids")) : null;
        return new BertBatch(shape[0], shape[1], ToInt32(golden.ReadInt64("input_ids")), types, ToInt32(golden.ReadInt64("attention_mask")));
    }

    private static int[] ToInt32(long[] v)
    {
        var r = new int[v.Length];
        for (int i = 0; i < v.Length; i++) r[i] = checked((int)v[i]);
        return r;
    }

    private static double Tolerance(string tensor) => tensor switch
    {
        "hidden_states.0" or "embeddings_output" or "pooler_output" or "logits" => 1e-5,
        _ when tensor.StartsWith("attentions.", StringComparison.Ordinal) => 5e-5,
        _ => 1e-4,
    };

    [TestCaseSource(nameof(Cases))]
    public void MatchesGoldenActivations(string model, string caseName, string file, string engine)
    {
        string dir = SharedData.Require("golden/families/models/" + model);
        bool reference = engine == "reference";
        GemmPath path = reference ? GemmPath.Auto : Enum.Parse<GemmPath>(engine);
        if (!reference && !Gemm.IsSupported(path)) Assert.Ignore($"GemmPath.{path} is not supported on this CPU (skipped, not failed)");
        Loaded m = Load(model);
        using var golden = SafeTensorsFile.Open(Path.GetFullPath(Path.Combine(dir, "cases", file)));
        BertBatch batch = Inputs(golden);

        ModelOutput o;
        float[]? logits = null;
        if (reference) o = m.Reference.Run(batch, outputHiddenStates: true, outputAttentions: true);
        else
            using (KernelPathOverride.Force(path))
            {
                var options = new RunOptions { OutputHiddenStates = true, OutputAttentions = true };
                if (m.Classifier is not null)
                {
                    SequenceClassifierOutput c = m.Classifier.Run(batch, options);
                    (o, logits) = (c.Encoder, c.Logits);
                }
                else o = m.Fast.Run(batch, options);
            }

        int compared = 0;
        foreach (TensorInfo t in golden.Tensors)
        {
            float[]? ours = t.Name switch
            {
                "last_hidden_state" => o.LastHiddenState,
                "pooler_output" => o.PoolerOutput ?? throw new AssertionException("golden has pooler_output, model has no pooler"),
                "logits" => logits,
                "embeddings_output" => reference ? EmbeddingsOutput(m.Reference, batch) : null,
                _ when t.Name.StartsWith("hidden_states.", StringComparison.Ordinal) => o.HiddenStates![int.Parse(t.Name[14..])],
                _ when t.Name.StartsWith("attentions.", StringComparison.Ordinal) => o.Attentions![int.Parse(t.Name[11..])],
                _ => null,   // inputs, position ids and buckets (checked below)
            };
            if (ours is null) continue;
            bool attention = t.Name.StartsWith("attentions.", StringComparison.Ordinal);
            double tol = Tolerance(t.Name);
            double diff = GoldenCompare.MaxAbsDiffValidRows(ours, golden.ReadFloat32(t.Name), t.ShapeAsInt32(), o.AttentionMask,
                attention, perToken: t.Shape.Length > 2, out _);
            TestContext.Out.WriteLine($"FAMILYDIFF {model} {caseName} {engine} {t.Name} {diff:E3} (tolerance {tol:E0})");
            Assert.That(diff, Is.LessThanOrEqualTo(tol), $"{model}/{caseName} [{engine}] {t.Name}");
            compared++;
        }
        Assert.That(compared, Is.GreaterThanOrEqualTo(5), "hidden states and attentions were compared");
        Assert.That(o.PoolerOutput is null, Is.EqualTo(!golden.TryGetTensor("pooler_output", out _)), "pooler presence follows the checkpoint");
        if (!reference && golden.TryGetTensor("logits", out _)) Assert.That(logits, Is.Not.Null, "logits were compared");

        if (golden.TryGetTensor("position_ids", out _))
        {
            long[] expected = golden.ReadInt64("position_ids");
            var positions = new int[batch.SequenceLength];
            for (int b = 0; b < batch.BatchSize; b++)
            {
                m.Fast.Embeddings.PositionIds(batch.InputIds.AsSpan(b * batch.SequenceLength, batch.SequenceLength), positions);
                for (int i = 0; i < positions.Length; i++)
                    Assert.That(positions[i], Is.EqualTo(expected[b * batch.SequenceLength + i]), $"position_ids[{b},{i}]");
            }
        }
        if (golden.TryGetTensor("relative_position_bucket", out _))
        {
            long[] expected = golden.ReadInt64("relative_position_bucket");
            int n = batch.SequenceLength;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    Assert.That(RelativePositionBias.Bucket(j - i), Is.EqualTo(expected[i * n + j]), $"bucket[{i},{j}]");
        }
    }

    /// <summary>The reference's embeddings module output before ELECTRA's projection: [B,T,embedding_size], padded rows zero.</summary>
    private static float[] EmbeddingsOutput(ReferenceBertModel r, BertBatch batch)
    {
        int t = batch.SequenceLength, e = r.Config.EmbeddingSize;
        var result = new float[batch.BatchSize * t * e];
        for (int b = 0; b < batch.BatchSize; b++)
        {
            int len = batch.ActiveLength(b);
            r.EmbeddingsOutput(batch.InputIds.AsSpan(b * t, len), batch.TokenTypeIds.AsSpan(b * t, len)).CopyTo(result, b * t * e);
        }
        return result;
    }

    [Test]
    public void MPNetRelativeBiasMatters()
    {
        // Mutation check: the same MPNet without its bias must miss the golden last_hidden_state (README: by 0.019).
        string dir = SharedData.Require("golden/families/models/mpnet");
        ReferenceBertModel mutant = ReferenceBertModel.Load(WeightsOnlyCopy(dir));
        Array.Clear(mutant.RelativeAttentionBias!);
        using var golden = SafeTensorsFile.Open(Path.GetFullPath(Path.Combine(dir, "cases", "single.safetensors")));
        BertBatch batch = Inputs(golden);
        ModelOutput o = mutant.Run(batch);
        TensorInfo t = golden.GetTensor("last_hidden_state");
        double diff = GoldenCompare.MaxAbsDiffValidRows(o.LastHiddenState, golden.ReadFloat32(t.Name), t.ShapeAsInt32(), o.AttentionMask,
            false, true, out _);
        TestContext.Out.WriteLine($"MPNet without relative bias: last_hidden_state max abs diff {diff:E3}");
        Assert.That(diff, Is.GreaterThan(1e-3), "without the bias the output must leave the 1e-4 tolerance by far");
    }

    [Test]
    public void RobertaPositionsIgnoreLeftPadding()
    {
        // A left-padded row gives its real tokens the same outputs as the unpadded row alone (positions skip the pads).
        string dir = SharedData.Require("golden/families/models/roberta");
        BertModel fast = Load("roberta").Fast;
        using var golden = SafeTensorsFile.Open(Path.GetFullPath(Path.Combine(dir, "cases", "batch2_left_padded.safetensors")));
        BertBatch batch = Inputs(golden);
        int t = batch.SequenceLength, h = fast.Config.HiddenSize;
        ModelOutput padded = fast.Run(batch);
        for (int b = 0; b < batch.BatchSize; b++)
        {
            int first = Array.IndexOf(batch.AttentionMask, 1, b * t) - b * t;
            int[] ids = batch.InputIds.AsSpan(b * t + first, t - first).ToArray();
            ModelOutput alone = fast.Run(BertBatch.FromRows([ids], padId: 1));
            for (int i = 0; i < ids.Length; i++)
                for (int c = 0; c < h; c++)
                    Assert.That(padded.LastHiddenState[(b * t + first + i) * h + c], Is.EqualTo(alone.LastHiddenState[i * h + c]).Within(1e-4),
                        $"row {b} token {i}");
        }
    }
}
