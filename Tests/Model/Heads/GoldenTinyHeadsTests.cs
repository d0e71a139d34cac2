using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Engine.Model.Heads;
using BertSharp.Weights;

namespace BertSharp.Tests.Model.Heads;

/// <summary>
/// The task heads of shared/golden/tiny: every case of every head checkpoint, loaded through config "architectures",
/// logits compared on valid rows at 1e-5, plus the manifest's top-5 ids at each [MASK], seq-cls probabilities and
/// labels, token-cls labels and NSP probabilities. Also: checkpoints that don't fit the requested head are rejected
/// with the missing/unexpected tensors named.
/// </summary>
[NonParallelizable]
public class GoldenTinyHeadsTests
{
    private static readonly string[] Models = ["masked-lm", "masked-lm-untied", "seq-cls", "token-cls", "qa", "nsp", "pretraining"];
    private const double Tolerance = 1e-5;
    private static readonly Dictionary<string, BertTaskModel> Loaded = new();

    public static IEnumerable<TestCaseData> Cases()
    {
        string? root = SharedData.TryGet("golden/tiny");
        if (root is null)
        {
            yield return new TestCaseData("(shared data absent)", "").SetName("Tiny heads: shared data absent");
            yield break;
        }
        foreach (string model in Models)
        {
            string manifest = Path.Combine(root, model, "cases", "manifest.json");
            if (!File.Exists(manifest)) continue;
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifest));
            foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
                yield return new TestCaseData(model, c.GetProperty("name").GetString()!)
                    .SetName($"Tiny head {model} {c.GetProperty("name").GetString()}");
        }
    }

    private static BertTaskModel Model(string model)
    {
        string dir = SharedData.Require("golden/tiny/" + model);
        lock (Loaded)
            if (!Loaded.TryGetValue(model, out var m)) Loaded[model] = m = BertHeads.Load(dir);
            else return m;
        return Loaded[model];
    }

    private static JsonElement ManifestCase(string model, string caseName)
    {
        string path = SharedData.Require($"golden/tiny/{model}/cases/manifest.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
            if (c.GetProperty("name").GetString() == caseName) return c.Clone();
        throw new AssertionException($"case {caseName} not in {path}");
    }

    [TestCaseSource(nameof(Cases))]
    public void HeadLogitsMatchReference(string model, string caseName)
    {
        BertTaskModel m = Model(model);
        JsonElement c = ManifestCase(model, caseName);
        string dir = SharedData.Require("golden/tiny/" + model);
        using var golden = SafeTensorsFile.Open(Path.GetFullPath(Path.Combine(dir, "cases", c.GetProperty("file").GetString()!)));
        BertBatch batch = GoldenCompare.Inputs(golden);
        int b = batch.BatchSize, t = batch.SequenceLength;
        int compared = 0;
        switch (m)
        {
            case BertForMaskedLM mlm:
            {
                MaskedLMOutput o = mlm.Run(batch);
                Compare(golden, "prediction_logits", o.Logits, batch, perToken: true); compared++;
                CheckMaskPredictions(c, o.Logits, o.VocabSize, t);
                // The per-position path gives the same row as the full pass.
                foreach (JsonElement p in c.GetProperty("mask_predictions").EnumerateArray())
                {
                    int pb = p.GetProperty("batch").GetInt32(), pt = p.GetProperty("position").GetInt32();
                    float[] row = mlm.LogitsAt(o.Encoder, pb, pt);
                    Assert.That(row, Is.EqualTo(o.Logits.AsSpan((pb * t + pt) * o.VocabSize, o.VocabSize).ToArray()).Within(1e-6));
                }
                break;
            }
            case BertForPreTraining pre:
            {
                BertForPreTrainingOutput o = pre.Run(batch);
                Compare(golden, "prediction_logits", o.PredictionLogits, batch, perToken: true);
                Compare(golden, "seq_relationship_logits", o.SeqRelationshipLogits, batch, perToken: false);
                compared += 2;
                CheckMaskPredictions(c, o.PredictionLogits, o.VocabSize, t);
                CheckProbabilities(c, "seq_relationship_probabilities", o.SeqRelationshipLogits, 2);
                break;
            }
            case BertForSequenceClassification seq:
            {
                SequenceClassifierOutput o = seq.Run(batch);
                Compare(golden, "logits", o.Logits, batch, perToken: false); compared++;
                CheckProbabilities(c, "probabilities", o.Logits, o.NumLabels);
                var labels = c.GetProperty("predicted_label").EnumerateArray().Select(e => e.GetString()).ToArray();
                for (int i = 0; i < b; i++)
                    Assert.That(seq.Labels[ArgMax(o.Logits.AsSpan(i * o.NumLabels, o.NumLabels))], Is.EqualTo(labels[i]), $"row {i} label");
                Assert.That(seq.ProblemType, Is.EqualTo(ProblemType.SingleLabelClassification));
                break;
            }
            case BertForTokenClassification tok:
            {
                TokenClassifierOutput o = tok.Run(batch);
                Compare(golden, "logits", o.Logits, batch, perToken: true); compared++;
                int row = 0;
                foreach (JsonElement labels in c.GetProperty("predicted_labels").EnumerateArray())
                {
                    int k = 0;
                    foreach (JsonElement label in labels.EnumerateArray())
                    {
                        if (batch.AttentionMask[row * t + k] == 0) { k++; continue; }   // padded rows: informative only
                        Assert.That(tok.Labels[ArgMax(o.Logits.AsSpan((row * t + k) * o.NumLabels, o.NumLabels))], Is.EqualTo(label.GetString()),
                            $"row {row} token {k}");
                        k++;
                    }
                    Assert.That(k, Is.EqualTo(t));
                    row++;
                }
                Assert.That(row, Is.EqualTo(b));
                break;
            }
            case BertForQuestionAnswering qa:
            {
                QuestionAnsweringModelOutput o = qa.Run(batch);
                Compare(golden, "start_logits", o.StartLogits, batch, perToken: true);
                Compare(golden, "end_logits", o.EndLogits, batch, perToken: true);
                compared += 2;
                break;
            }
            case BertForNextSentencePrediction nsp:
            {
                NextSentencePredictorOutput o = nsp.Run(batch);
                Compare(golden, "seq_relationship_logits", o.Logits, batch, perToken: false); compared++;
                CheckProbabilities(c, "seq_relationship_probabilities", o.Logits, 2);
                break;
            }
            default: Assert.Fail($"unexpected head {m.GetType().Name} for {model}"); break;
        }
        Assert.That(compared, Is.GreaterThan(0));
    }

    private static void Compare(SafeTensorsFile golden, string name, float[] ours, BertBatch batch, bool perToken)
    {
        TensorInfo info = golden.GetTensor(name);
        double diff = GoldenCompare.MaxAbsDiffValidRows(ours, golden.ReadFloat32(name), info.ShapeAsInt32(), batch.AttentionMask,
            isAttention: false, perToken: perToken, out int n);
        TestContext.Out.WriteLine($"{name}: max abs diff {diff:E3} over {n} values (tolerance {Tolerance:E0})");
        Assert.That(n, Is.GreaterThan(0));
        Assert.That(diff, Is.LessThanOrEqualTo(Tolerance), name);
    }

    private static void CheckMaskPredictions(JsonElement c, float[] logits, int vocab, int t)
    {
        foreach (JsonElement p in c.GetProperty("mask_predictions").EnumerateArray())
        {
            int b = p.GetProperty("batch").GetInt32(), pos = p.GetProperty("position").GetInt32();
            int[] expected = p.GetProperty("top5_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var scores = Engine.Tasks.Scoring.TopK(logits.AsSpan((b * t + pos) * vocab, vocab), 5);
            Assert.That(scores.Select(s => s.Index).ToArray(), Is.EqualTo(expected), $"top-5 at [{b},{pos}]");
        }
    }

    private static void CheckProbabilities(JsonElement c, string field, float[] logits, int n)
    {
        int row = 0;
        foreach (JsonElement expected in c.GetProperty(field).EnumerateArray())
        {
            float[] p = logits.AsSpan(row * n, n).ToArray();
            Engine.Tasks.Scoring.SoftmaxInPlace(p);
            Assert.That(p, Is.EqualTo(expected.EnumerateArray().Select(e => e.GetSingle()).ToArray()).Within(1e-5), $"{field} row {row}");
            row++;
        }
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    [Test]
    public void ArchitecturesChooseTheHead()
    {
        Assert.That(Model("masked-lm"), Is.TypeOf<BertForMaskedLM>());
        Assert.That(Model("masked-lm-untied"), Is.TypeOf<BertForMaskedLM>());
        Assert.That(Model("seq-cls"), Is.TypeOf<BertForSequenceClassification>());
        Assert.That(Model("token-cls"), Is.TypeOf<BertForTokenClassification>());
        Assert.That(Model("qa"), Is.TypeOf<BertForQuestionAnswering>());
        Assert.That(Model("nsp"), Is.TypeOf<BertForNextSentencePrediction>());
        Assert.That(Model("pretraining"), Is.TypeOf<BertForPreTraining>());
        Assert.That(((BertForMaskedLM)Model("masked-lm")).Cls.DecoderTied, Is.True);
        Assert.That(((BertForSequenceClassification)Model("seq-cls")).Labels, Is.EqualTo(new[] { "negative", "neutral", "positive" }));
        Assert.That(((BertForTokenClassification)Model("token-cls")).Labels,
            Is.EqualTo(new[] { "O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC" }));
        foreach (string m in Models)
            Assert.That(Model(m).UnexpectedTensors, Is.Empty, m + ": every stored tensor is used (position_ids and tied copies are known)");
        Assert.That(Model("masked-lm").Bert.Pooler, Is.Null);
        Assert.That(Model("nsp").Bert.Pooler, Is.Not.Null);
    }

    [Test]
    public void PreTrainingCheckpointServesMaskedLmAndNsp()
    {
        string dir = SharedData.Require("golden/tiny/pretraining");
        var mlm = BertForMaskedLM.Load(dir);
        Assert.That(mlm.UnexpectedTensors, Is.EquivalentTo(new[] { "cls.seq_relationship.bias", "cls.seq_relationship.weight" }));
        var nsp = BertForNextSentencePrediction.Load(dir);
        Assert.That(nsp.UnexpectedTensors, Has.Some.StartsWith("cls.predictions."));
        var pre = (BertForPreTraining)Model("pretraining");
        var batch = BertBatch.FromRows([[101, 1996, 103, 1997, 102]]);
        Assert.That(mlm.Run(batch).Logits, Is.EqualTo(pre.Run(batch).PredictionLogits));
        Assert.That(nsp.Run(batch).Logits, Is.EqualTo(pre.Run(batch).SeqRelationshipLogits));
    }

    [Test]
    public void CheckpointOfAnotherHeadIsRejectedListingMissingAndUnexpected()
    {
        string mlm = SharedData.Require("golden/tiny/masked-lm");
        var e = Assert.Throws<CheckpointException>(() => BertForSequenceClassification.Load(mlm))!;
        Assert.That(e.Message, Does.Contain("BertForSequenceClassification").And.Contain("missing")
            .And.Contain("classifier.weight").And.Contain("pooler.dense.weight")
            .And.Contain("unexpected").And.Contain("cls.predictions.transform.dense.weight").And.Contain(mlm));

        // seq-cls weights (classifier [3,32]) under token-cls's config (7 labels).
        string tmp = CopyModel("seq-cls");
        try
        {
            File.Copy(Path.Combine(SharedData.Require("golden/tiny/token-cls"), "config.json"), Path.Combine(tmp, "config.json"), overwrite: true);
            e = Assert.Throws<CheckpointException>(() => BertForSequenceClassification.Load(tmp))!;
            Assert.That(e.Message, Does.Contain("BertForSequenceClassification").And.Contain("'classifier.weight' has shape [3,32] != expected [7,32]"));
        }
        finally { Directory.Delete(tmp, true); }

        string bertBase = SharedData.Require("golden/tiny/bert-base");
        e = Assert.Throws<CheckpointException>(() => BertForMaskedLM.Load(bertBase))!;
        Assert.That(e.Message, Does.Contain("missing").And.Contain("cls.predictions.bias").And.Contain("cls.predictions.transform.LayerNorm.weight"));

        string nsp = SharedData.Require("golden/tiny/nsp");
        e = Assert.Throws<CheckpointException>(() => BertForQuestionAnswering.Load(nsp))!;
        Assert.That(e.Message, Does.Contain("qa_outputs.weight").And.Contain("cls.seq_relationship.weight"));
    }

    [Test]
    public void ArchitecturesWithoutHeadOrUnknownAreConfigErrors()
    {
        string bertBase = SharedData.Require("golden/tiny/bert-base");
        var e = Assert.Throws<ConfigException>(() => BertHeads.Load(bertBase))!;
        Assert.That(e.Message, Does.Contain("config.json").And.Contain("BertModel"));

        string tmp = CopyModel("seq-cls");
        try
        {
            File.WriteAllText(Path.Combine(tmp, "config.json"),
                File.ReadAllText(Path.Combine(tmp, "config.json")).Replace("BertForSequenceClassification", "BertForMultipleChoice"));
            e = Assert.Throws<ConfigException>(() => BertHeads.Load(tmp))!;
            Assert.That(e.Message, Does.Contain("config.json").And.Contain("BertForMultipleChoice"));
        }
        finally { Directory.Delete(tmp, true); }
    }

    [Test]
    public void StoredDecoderThatDisagreesWithTiedEmbeddingsIsRejected()
    {
        string tmp = CopyModel("masked-lm-untied");
        try
        {
            string path = Path.Combine(tmp, "model.safetensors");
            var w = new SafeTensorsWriter();
            using (var f = SafeTensorsFile.Open(path))
                foreach (TensorInfo t in f.Tensors)
                {
                    if (t.DType == SafeTensorDType.I64) { w.Add(t.Name, f.ReadInt64(t.Name), t.Shape); continue; }
                    float[] data = f.ReadFloat32(t.Name);
                    if (t.Name == "cls.predictions.decoder.weight") data[5] += 1f;
                    w.Add(t.Name, data, t.Shape);
                }
            w.Save(path);
            var e = Assert.Throws<CheckpointException>(() => BertForMaskedLM.Load(tmp))!;
            Assert.That(e.Message, Does.Contain("cls.predictions.decoder.weight").And.Contain("tie_word_embeddings"));

            // With tie_word_embeddings false the stored decoder is the decoder.
            string cfg = Path.Combine(tmp, "config.json");
            File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("\"vocab_size\"", "\"tie_word_embeddings\": false,\n  \"vocab_size\""));
            var untied = BertForMaskedLM.Load(tmp);
            Assert.That(untied.Cls.DecoderTied, Is.False);
            Assert.That(untied.Cls.Decoder.Weight[0, 5], Is.EqualTo(untied.Bert.Embeddings.WordEmbeddings[5] + 1f));
        }
        finally { Directory.Delete(tmp, true); }
    }

    private static string CopyModel(string model)
    {
        string src = SharedData.Require("golden/tiny/" + model);
        string tmp = Path.Combine(Path.GetTempPath(), $"bertsharp-heads-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        foreach (string f in Directory.GetFiles(src)) File.Copy(f, Path.Combine(tmp, Path.GetFileName(f)));
        return tmp;
    }
}
