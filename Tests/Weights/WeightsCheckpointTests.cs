using BertSharp.Weights;

namespace BertSharp.Tests.Weights;

public class WeightsCheckpointTests
{
    private static readonly string[] TinyModels = ["bert-base", "masked-lm", "masked-lm-untied", "bf16-sharded", "gelu-new-f16", "seq-cls", "token-cls", "qa", "nsp", "pretraining"];

    private static readonly string[] ModelsWithPooler = ["bert-base", "bf16-sharded", "gelu-new-f16", "seq-cls", "nsp", "pretraining"];

    [TestCaseSource(nameof(TinyModels))]
    public void EveryBertModelParameterLoadsWithItsShape(string model)
    {
        string dir = SharedData.Require("golden/tiny/" + model);
        using var ckpt = Checkpoint.Open(dir);
        BertConfig c = ckpt.Config;
        Assert.That((c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.IntermediateSize, c.VocabSize, c.MaxPositionEmbeddings, c.TypeVocabSize),
            Is.EqualTo((32, 2, 4, 64, 8000, 64, 2)));
        Assert.That(c.HeadDim, Is.EqualTo(8));
        Assert.That(c.LayerNormEps, Is.EqualTo(1e-12f));
        bool withPooler = ckpt.Contains(BertParameterNames.PoolerDenseWeight);
        Assert.That(withPooler, Is.EqualTo(ModelsWithPooler.Contains(model)), "pooler present exactly in the models built with add_pooling_layer=True");

        var expected = BertParameterNames.ForBertModel(c, withPooler);
        Assert.That(expected, Has.Count.EqualTo(5 + 16 * 2 + (withPooler ? 2 : 0)));
        var consumed = new List<string>();
        foreach (ExpectedTensor t in expected)
        {
            float[] values = ckpt.ReadFloat32(t.Name, t.Shape);
            Assert.That(values.Length, Is.EqualTo(t.Shape.Aggregate(1, (a, b) => a * b)), t.Name);
            Assert.That(values.All(float.IsFinite), t.Name);
            Assert.That(values.Any(v => v != 0), $"{t.Name} is not all zeros");
            consumed.Add(ckpt.Resolve(t.Name)!);
        }
        var unused = ckpt.UnusedTensorNames(consumed);
        Assert.That(unused, Is.EquivalentTo(ckpt.UnusedTensorNames()), "internal tracking agrees");
        Assert.That(unused.All(n => !n.StartsWith("bert.", StringComparison.Ordinal) && !n.StartsWith("embeddings.", StringComparison.Ordinal) && !n.StartsWith("encoder.", StringComparison.Ordinal)),
            $"only head tensors left: {string.Join(", ", unused)}");
        if (model is "bert-base" or "bf16-sharded" or "gelu-new-f16") Assert.That(unused, Is.Empty);
    }

    [Test]
    public void BaseModelIsUnprefixedF32()
    {
        using var ckpt = Checkpoint.Open(SharedData.Require("golden/tiny/bert-base"));
        Assert.That(ckpt.Resolve(BertParameterNames.WordEmbeddings), Is.EqualTo("embeddings.word_embeddings.weight"));
        Assert.That(ckpt.Resolve("bert.embeddings.word_embeddings.weight"), Is.EqualTo("embeddings.word_embeddings.weight"), "prefix dropped when absent");
        Assert.That(ckpt.GetInfo(BertParameterNames.WordEmbeddings).DType, Is.EqualTo(SafeTensorDType.F32));
        Assert.That(ckpt.Config.Architectures, Is.EqualTo(new[] { "BertModel" }));
        Assert.That(ckpt.Config.HiddenAct, Is.EqualTo(HiddenActivation.Gelu));
        Assert.That(ckpt.IsSharded, Is.False);
    }

    [Test]
    public void MaskedLmHasBertPrefixAndTiedDecoderAbsent()
    {
        using var ckpt = Checkpoint.Open(SharedData.Require("golden/tiny/masked-lm"));
        Assert.That(ckpt.Resolve(BertParameterNames.WordEmbeddings), Is.EqualTo("bert.embeddings.word_embeddings.weight"));
        Assert.That(ckpt.Contains(BertParameterNames.MlmDecoderWeight), Is.False, "tied decoder weight not stored");
        Assert.That(ckpt.Contains(BertParameterNames.MlmDecoderBias), Is.False);
        Assert.That(ckpt.Contains(BertParameterNames.MlmBias), Is.True);
        Assert.That(ckpt.Resolve(BertParameterNames.MlmTransformLayerNormWeight), Is.EqualTo("cls.predictions.transform.LayerNorm.weight"));
        Assert.That(ckpt.Config.TieWordEmbeddings, Is.True);
        Assert.That(ckpt.Config.Architectures, Is.EqualTo(new[] { "BertForMaskedLM" }));
    }

    [Test]
    public void UntiedLegacyCheckpointResolvesGammaBetaAndIgnoresPositionIds()
    {
        using var legacy = Checkpoint.Open(SharedData.Require("golden/tiny/masked-lm-untied"));
        using var modern = Checkpoint.Open(SharedData.Require("golden/tiny/masked-lm"));
        Assert.That(legacy.Resolve(BertParameterNames.EmbeddingsLayerNormWeight), Is.EqualTo("bert.embeddings.LayerNorm.gamma"));
        Assert.That(legacy.Resolve(BertParameterNames.EmbeddingsLayerNormBias), Is.EqualTo("bert.embeddings.LayerNorm.beta"));
        Assert.That(legacy.Resolve(BertParameterNames.MlmTransformLayerNormBias), Is.EqualTo("cls.predictions.transform.LayerNorm.beta"));
        Assert.That(legacy.Resolve(BertParameterNames.MlmBias), Is.EqualTo("cls.predictions.bias"), "not a LayerNorm: keeps its name");

        foreach (ExpectedTensor t in BertParameterNames.ForBertModel(legacy.Config, withPooler: false))
            Assert.That(legacy.ReadFloat32(t.Name, t.Shape), Is.EqualTo(modern.ReadFloat32(t.Name, t.Shape)), t.Name);

        // The stored decoder copies equal the tensors they are tied to.
        Assert.That(legacy.ReadFloat32(BertParameterNames.MlmDecoderWeight, 8000, 32), Is.EqualTo(modern.ReadFloat32(BertParameterNames.WordEmbeddings, 8000, 32)));
        Assert.That(legacy.ReadFloat32(BertParameterNames.MlmDecoderBias, 8000), Is.EqualTo(modern.ReadFloat32(BertParameterNames.MlmBias, 8000)));

        Assert.That(legacy.TensorNames, Does.Contain("bert.embeddings.position_ids"));
        Assert.That(legacy.ReadInt64(BertParameterNames.PositionIdsBuffer), Is.EqualTo(Enumerable.Range(0, 64).Select(i => (long)i)));
        Assert.That(Checkpoint.IsIgnoredBuffer("bert.embeddings.position_ids"));
        Assert.That(legacy.UnusedTensorNames(Array.Empty<string>()), Does.Not.Contain("bert.embeddings.position_ids"));
    }

    [Test]
    public void ShardedBf16CheckpointLoadsFromBothShardsExactly()
    {
        using var ckpt = Checkpoint.Open(SharedData.Require("golden/tiny/bf16-sharded"));
        Assert.That(ckpt.IsSharded);
        Assert.That(ckpt.Files.Select(f => Path.GetFileName(f.Path)), Is.EqualTo(new[] { "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors" }));
        Assert.That(ckpt.GetInfo(BertParameterNames.PoolerDenseWeight).DType, Is.EqualTo(SafeTensorDType.BF16));
        Assert.That(Path.GetFileName(ckpt.GetFile(BertParameterNames.PoolerDenseWeight).Path), Is.EqualTo("model-00002-of-00002.safetensors"));
        Assert.That(Path.GetFileName(ckpt.GetFile(BertParameterNames.WordEmbeddings).Path), Is.EqualTo("model-00001-of-00002.safetensors"));
        long totalBytes = ckpt.Files.Sum(f => f.Tensors.Sum(t => t.ByteLength));
        Assert.That(totalBytes, Is.EqualTo(552640), "index metadata.total_size");
        float[] w = ckpt.ReadFloat32(BertParameterNames.Layer(1).QueryWeight, 32, 32);
        Assert.That(w.All(v => (BitConverter.SingleToInt32Bits(v) & 0xFFFF) == 0), "BF16 upcast keeps the low 16 bits zero");
        // Raw bits agree with the float view.
        var info = ckpt.GetInfo(BertParameterNames.Layer(1).QueryWeight);
        var raw = ckpt.GetFile(BertParameterNames.Layer(1).QueryWeight).GetBytes(info);
        Assert.That(BitConverter.SingleToInt32Bits(w[5]) >>> 16, Is.EqualTo(raw[10] | (raw[11] << 8)));
    }

    [Test]
    public void F16GeluNewCheckpointUpcastsExactly()
    {
        using var ckpt = Checkpoint.Open(SharedData.Require("golden/tiny/gelu-new-f16"));
        Assert.That(ckpt.Config.HiddenAct, Is.EqualTo(HiddenActivation.GeluNew));
        Assert.That(ckpt.GetInfo(BertParameterNames.WordEmbeddings).DType, Is.EqualTo(SafeTensorDType.F16));
        float[] w = ckpt.ReadFloat32(BertParameterNames.Layer(0).IntermediateDenseWeight, 64, 32);
        Assert.That(w.All(v => (float)(Half)v == v), "every value is an F16 value");
    }

    [Test]
    public void HeadConfigsCarryLabels()
    {
        using var seq = Checkpoint.Open(SharedData.Require("golden/tiny/seq-cls"));
        Assert.That(seq.Config.Id2Label, Is.EqualTo(new Dictionary<int, string> { [0] = "negative", [1] = "neutral", [2] = "positive" }));
        Assert.That(seq.Config.Label2Id["positive"], Is.EqualTo(2));
        Assert.That(seq.Config.NumLabels, Is.EqualTo(3));
        Assert.That(seq.ReadFloat32(BertParameterNames.ClassifierWeight, 3, 32), Has.Length.EqualTo(96));
        using var tok = Checkpoint.Open(SharedData.Require("golden/tiny/token-cls"));
        Assert.That(tok.Config.Id2Label[6], Is.EqualTo("I-LOC"));
        Assert.That(tok.Config.NumLabels, Is.EqualTo(7));
    }

    // ---- synthetic folders ----

    private static void WriteConfig(string dir, string extra = "") =>
        File.WriteAllText(Path.Combine(dir, "config.json"),
            "{\"hidden_size\":4,\"num_hidden_layers\":1,\"num_attention_heads\":2,\"intermediate_size\":8,\"vocab_size\":10,\"max_position_embeddings\":6" + extra + "}");

    [Test]
    public void ResolveTriesPrefixAndLegacyNamesInOrder()
    {
        using var tmp = new TempDir();
        WriteConfig(tmp.Path);
        var w = new SafeTensorsWriter();
        w.Add("bert.embeddings.LayerNorm.gamma", new float[] { 1, 2, 3, 4 }, 4);
        w.Add("encoder.layer.0.output.LayerNorm.weight", new float[] { 5, 6, 7, 8 }, 4);
        w.Add("bert.encoder.layer.0.output.LayerNorm.weight", new float[] { 9, 9, 9, 9 }, 4);
        w.Save(tmp.File("model.safetensors"));
        using var ckpt = Checkpoint.Open(tmp.Path);
        Assert.That(ckpt.Resolve("embeddings.LayerNorm.weight"), Is.EqualTo("bert.embeddings.LayerNorm.gamma"));
        Assert.That(ckpt.Resolve("bert.embeddings.LayerNorm.weight"), Is.EqualTo("bert.embeddings.LayerNorm.gamma"));
        Assert.That(ckpt.Resolve("embeddings.LayerNorm.bias"), Is.Null);
        Assert.That(ckpt.Resolve("encoder.layer.0.output.LayerNorm.weight"), Is.EqualTo("encoder.layer.0.output.LayerNorm.weight"), "exact name first");
        Assert.That(ckpt.ReadFloat32("embeddings.LayerNorm.weight", 4), Is.EqualTo(new float[] { 1, 2, 3, 4 }));
        var e = Assert.Throws<CheckpointException>(() => ckpt.ReadFloat32("embeddings.LayerNorm.bias", 4))!;
        Assert.That(e.Message, Does.Contain("'embeddings.LayerNorm.bias'").And.Contain("bert.embeddings.LayerNorm.beta").And.Contain(tmp.Path));
        var s = Assert.Throws<CheckpointException>(() => ckpt.ReadFloat32("embeddings.LayerNorm.weight", 2, 2))!;
        Assert.That(s.Message, Does.Contain("model.safetensors: tensor 'bert.embeddings.LayerNorm.gamma' has shape [4] != expected [2,2]"));
    }

    [Test]
    public void FolderWithoutWeightsOrConfigIsAClearError()
    {
        using var tmp = new TempDir();
        var c = Assert.Throws<ConfigException>(() => Checkpoint.Open(tmp.Path))!;
        Assert.That(c.Message, Does.Contain("config.json"));
        WriteConfig(tmp.Path);
        File.WriteAllText(tmp.File("pytorch_model.bin"), "x");
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Open(tmp.Path))!;
        Assert.That(e.Message, Does.Contain("model.safetensors").And.Contain("pytorch_model.bin is not supported"));
        Assert.Throws<CheckpointException>(() => Checkpoint.Open(tmp.File("nope")));
    }

    private static void WriteShard(string path, params string[] names)
    {
        var w = new SafeTensorsWriter();
        foreach (string n in names) w.Add(n, new float[] { 1, 2 }, 2);
        w.Save(path);
    }

    [TestCase("{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\"}}", "'b'", "does not contain it")]
    [TestCase("{\"weight_map\":{\"a\":\"../s1.safetensors\"}}", "../s1.safetensors", "plain file name")]
    [TestCase("{\"weight_map\":{\"a\":\"s1.safetensors\",\"c\":\"dup.safetensors\"}}", "'a'", "also stored")]
    [TestCase("{\"metadata\":{}}", "weight_map", "missing")]
    [TestCase("{\"weight_map\":{\"a\":3}}", "weight_map['a']", "file name")]
    [TestCase("{\"weight_map\":{}", "index.json", "not valid JSON")]
    public void BadShardIndexIsRejected(string index, string fragment1, string fragment2)
    {
        using var tmp = new TempDir();
        WriteConfig(tmp.Path);
        WriteShard(tmp.File("s1.safetensors"), "a");
        WriteShard(tmp.File("dup.safetensors"), "a", "c");
        File.WriteAllText(tmp.File("model.safetensors.index.json"), index);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Open(tmp.Path))!;
        Assert.That(e.Message, Does.Contain(fragment1).And.Contain(fragment2));
    }

    [Test]
    public void ValidShardIndexJoinsShards()
    {
        using var tmp = new TempDir();
        WriteConfig(tmp.Path);
        WriteShard(tmp.File("s1.safetensors"), "a", "b");
        WriteShard(tmp.File("s2.safetensors"), "c");
        File.WriteAllText(tmp.File("model.safetensors.index.json"), "{\"metadata\":{\"total_size\":24},\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\",\"c\":\"s2.safetensors\"}}");
        using var ckpt = Checkpoint.Open(tmp.Path);
        Assert.That(ckpt.TensorNames, Is.EqualTo(new[] { "a", "b", "c" }));
        Assert.That(ckpt.ReadFloat32("c", 2), Is.EqualTo(new float[] { 1, 2 }));
        Assert.That(ckpt.UnusedTensorNames(), Is.EqualTo(new[] { "a", "b" }));
    }
}

public class WeightsTiedParameterTests
{
    [Test]
    public void DecoderIsTiedToWordEmbeddingsUnlessConfigUnties()
    {
        var tied = BertConfig.Parse("{}", "c");
        var untied = BertConfig.Parse("{\"tie_word_embeddings\":false}", "c");
        Assert.That(BertParameterNames.TiedSource(BertParameterNames.MlmDecoderWeight, tied), Is.EqualTo(BertParameterNames.WordEmbeddings));
        Assert.That(BertParameterNames.TiedSource(BertParameterNames.MlmDecoderWeight, untied), Is.Null);
        Assert.That(BertParameterNames.TiedSource(BertParameterNames.MlmDecoderBias, untied), Is.EqualTo(BertParameterNames.MlmBias));
        Assert.That(BertParameterNames.TiedSource(BertParameterNames.WordEmbeddings, tied), Is.Null);
    }

    [Test]
    public void TiedSourceReadsTheDecoderOfATiedCheckpoint()
    {
        using var ckpt = Checkpoint.Open(SharedData.Require("golden/tiny/masked-lm"));
        string source = BertParameterNames.TiedSource(BertParameterNames.MlmDecoderWeight, ckpt.Config)!;
        Assert.That(ckpt.ReadFloat32(source, 8000, 32), Has.Length.EqualTo(8000 * 32));
    }

    [Test]
    public void OpeningAFileInsteadOfAFolderSaysSo()
    {
        string file = SharedData.Require("golden/tiny/bert-base/model.safetensors");
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Open(file))!;
        Assert.That(e.Message, Does.Contain("is a file"));
    }
}

public class WeightsArchitectureTests
{
    private static readonly string[] Models = ["bert-base", "masked-lm", "masked-lm-untied", "seq-cls", "token-cls", "qa", "nsp", "pretraining", "bf16-sharded", "gelu-new-f16"];

    [TestCaseSource(nameof(Models))]
    public void EachTinyCheckpointFitsItsOwnArchitectureExactly(string model)
    {
        using var ckpt = Checkpoint.Open(SharedData.Require("golden/tiny/" + model));
        string arch = ckpt.Config.Architectures.Single();
        var expected = BertParameterNames.ForArchitecture(arch, ckpt.Config);
        Assert.That(expected.Any(e => e.Name == BertParameterNames.PoolerDenseWeight), Is.EqualTo(ckpt.Contains(BertParameterNames.PoolerDenseWeight)));
        ckpt.Require(expected, rejectUnexpected: true);
        foreach (ExpectedTensor t in expected) ckpt.ReadFloat32(t.Name, t.Shape);
    }

    [Test]
    public void WrongHeadIsAnErrorListingMissingAndUnexpected()
    {
        using var ckpt = Checkpoint.Open(SharedData.Require("golden/tiny/token-cls"));
        var e = Assert.Throws<CheckpointException>(() => ckpt.Require(BertParameterNames.ForArchitecture("BertForQuestionAnswering", ckpt.Config), rejectUnexpected: true))!;
        Assert.That(e.Message, Does.Contain("missing 'qa_outputs.weight' [2,32]").And.Contain("unexpected tensors: classifier.bias, classifier.weight"));
        var p = Assert.Throws<CheckpointException>(() => ckpt.Require(BertParameterNames.ForArchitecture("BertForSequenceClassification", ckpt.Config)))!;
        Assert.That(p.Message, Does.Contain("missing 'pooler.dense.weight' [32,32]"));
    }

    [Test]
    public void UntiedConfigNeedsTheDecoderWeight()
    {
        var c = BertConfig.Parse("{\"tie_word_embeddings\":false,\"hidden_size\":8,\"num_attention_heads\":2,\"vocab_size\":16}", "c");
        Assert.That(BertParameterNames.ForHead("BertForMaskedLM", c).Select(t => t.Name), Does.Contain(BertParameterNames.MlmDecoderWeight));
        Assert.That(BertParameterNames.ForHead("BertForSequenceClassification", c).First().Shape, Is.EqualTo(new[] { 2, 8 }), "num_labels defaults to 2");
    }

    [Test]
    public void UnknownArchitectureIsAConfigError()
    {
        var c = BertConfig.Parse("{}", "/m/config.json");
        var e = Assert.Throws<ConfigException>(() => BertParameterNames.ForArchitecture("BertForMultipleChoice", c))!;
        Assert.That(e.Message, Does.Contain("/m/config.json").And.Contain("architectures \"BertForMultipleChoice\""));
    }
}
