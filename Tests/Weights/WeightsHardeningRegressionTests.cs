using System.Text;
using BertSharp.Engine;
using BertSharp.Weights;

namespace BertSharp.Tests.Weights;

/// <summary>The checkpoint cases of issue 15, each as a named regression test on a tiny generated checkpoint.</summary>
public class WeightsHardeningRegressionTests
{
    private string _dir = "";

    [SetUp] public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "bertsharp-issue15-" + Guid.NewGuid().ToString("N"));
    [TearDown] public void TearDown() { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); }

    private string ConfigPath => Path.Combine(_dir, "config.json");

    /// <summary>The tiny checkpoint with config.json field <paramref name="field"/> written as <paramref name="raw"/> JSON.</summary>
    private void WriteWithConfigField(string field, string raw)
    {
        MutableTinyCheckpoint f = MutableTinyCheckpoint.Create();
        f.Write(_dir);
        string json = File.ReadAllText(ConfigPath);
        string current = $"\"{field}\":{f.Config[field]!.ToJsonString()}";
        Assert.That(json, Does.Contain(current));
        File.WriteAllText(ConfigPath, json.Replace(current, $"\"{field}\": {raw}"));
    }

    private static void AssertOneLine(Exception e)
    {
        Assert.That(e.Message, Does.Not.Contain("\n").And.Not.Contain("\r"));
        TestContext.Out.WriteLine(e.Message);
    }

    [TestCase("2147483647")]
    [TestCase("1000000000")]
    public void HugeNumHiddenLayersIsAConfigErrorBeforeAnyAllocation(string layers)
    {
        WriteWithConfigField("num_hidden_layers", layers);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var e = Assert.Throws<ConfigException>(() => BertModel.Load(_dir))!;
        Assert.That(GC.GetTotalAllocatedBytes(precise: true) - before, Is.LessThan(16L << 20));
        Assert.That(e.Message, Does.StartWith(ConfigPath + ": num_hidden_layers " + layers));
        AssertOneLine(e);
    }

    [Test]
    public void MoreLayersThanStoredIsAConfigErrorNamingBothFiles()
    {
        WriteWithConfigField("num_hidden_layers", "3");
        var e = Assert.Throws<ConfigException>(() => Checkpoint.Open(_dir))!;
        Assert.That(e.Message, Is.EqualTo($"{ConfigPath}: num_hidden_layers 3 but {Path.Combine(_dir, "model.safetensors")} stores 2 encoder layer(s), encoder.layer.0 to encoder.layer.1"));
    }

    [TestCase(float.NaN, "NaN")]
    [TestCase(float.PositiveInfinity, "Infinity")]
    [TestCase(float.NegativeInfinity, "-Infinity")]
    public void NonFiniteWeightIsRejectedAtLoadNamingTheTensor(float value, string written)
    {
        MutableTinyCheckpoint f = MutableTinyCheckpoint.Create();
        var t = f.Tensors.First(x => x.Name == "encoder.layer.1.intermediate.dense.weight");
        System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(t.Data.AsSpan(4 * (2 * MutableTinyCheckpoint.Hidden + 5)), value);
        f.Write(_dir);
        var e = Assert.Throws<CheckpointException>(() => BertModel.Load(_dir))!;
        Assert.That(e.Message, Does.StartWith($"{Path.Combine(_dir, "model.safetensors")}: tensor 'encoder.layer.1.intermediate.dense.weight' holds {written} at index [2,5]"));
        AssertOneLine(e);
    }

    [Test]
    public void NonFiniteCheckFindsEveryPositionAndKind()
    {
        for (int n = 0; n < 300; n += 7)
        {
            var values = new float[n];
            for (int i = 0; i < n; i++) values[i] = i * 0.5f - 3;
            Assert.That(NonFiniteValues.IndexOfFirst(values), Is.EqualTo(-1));
            foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, BitConverter.UInt32BitsToSingle(0xFF800001) })
                for (int at = 0; at < n; at += 5)
                {
                    float keep = values[at];
                    values[at] = bad;
                    if (at + 3 < n) values[at + 3] = float.NaN;
                    Assert.That(NonFiniteValues.IndexOfFirst(values), Is.EqualTo(at), $"n {n}, at {at}");
                    values[at] = keep;
                    if (at + 3 < n) values[at + 3] = (at + 3) * 0.5f - 3;
                }
        }
        Assert.That(NonFiniteValues.IndexOfFirst([float.MaxValue, float.MinValue, float.Epsilon, -0f]), Is.EqualTo(-1));
    }

    [TestCase("hidden_size", "[\n    32\n  ]", "field \"hidden_size\" must be an integer, found an array of 1 element(s)")]
    [TestCase("hidden_size", "{\"a\":\n 1}", "field \"hidden_size\" must be an integer, found an object")]
    [TestCase("hidden_act", "\"gelu\\nrelu\"", "hidden_act \"gelu\\nrelu\" is not supported (expected gelu, gelu_new, gelu_pytorch_tanh or relu)")]
    [TestCase("architectures", "[\"BertModel\",\n 5]", "field \"architectures\" must be an array of strings, found element 5")]
    public void WrongShapedValuesGiveOneLineErrors(string field, string raw, string expected)
    {
        WriteWithConfigField(field, raw);
        var e = Assert.Throws<ConfigException>(() => BertModel.Load(_dir))!;
        Assert.That(e.Message, Is.EqualTo($"{ConfigPath}: {expected}"));
        AssertOneLine(e);
    }

    [Test]
    public void LongStringValuesAreShortenedInErrors()
    {
        WriteWithConfigField("hidden_act", "\"" + new string('x', 5000) + "\"");
        var e = Assert.Throws<ConfigException>(() => BertModel.Load(_dir))!;
        Assert.That(e.Message.Length, Is.LessThan(300));
        Assert.That(e.Message, Does.Contain("hidden_act \"xxxx").And.Contain("…\""));
    }

    [TestCase("num_attention_heads", "2.0", "field \"num_attention_heads\" must be an integer, found 2.0 (transformers would hand torch a float and fail)")]
    [TestCase("num_attention_heads", "32.0", "field \"num_attention_heads\" must be an integer, found 32.0 (transformers would hand torch a float and fail)")]
    [TestCase("hidden_size", "8.0", "field \"hidden_size\" must be an integer, found 8.0 (transformers would hand torch a float and fail)")]
    [TestCase("num_hidden_layers", "2e0", "field \"num_hidden_layers\" must be an integer, found 2e0 (transformers would hand torch a float and fail)")]
    [TestCase("vocab_size", "10000000000", "field \"vocab_size\" = 10000000000 is out of range (at most 2147483647)")]
    public void FloatSizesAreRejectedByName(string field, string raw, string expected)
    {
        WriteWithConfigField(field, raw);
        var e = Assert.Throws<ConfigException>(() => BertModel.Load(_dir))!;
        Assert.That(e.Message, Is.EqualTo($"{ConfigPath}: {expected}"));
    }

    [TestCase("position_embedding_type", "transformers then adds no position embeddings at all")]
    [TestCase("type_vocab_size", "transformers cannot build the model with a None size")]
    [TestCase("layer_norm_eps", "torch's LayerNorm cannot run with eps None")]
    [TestCase("hidden_act", "transformers would call None as the activation and fail")]
    [TestCase("tie_word_embeddings", "leaves the masked-LM decoder untied")]
    [TestCase("hidden_size", "transformers cannot build the model with a None size")]
    [TestCase("num_hidden_layers", "transformers cannot build the model with a None size")]
    public void NullWhereTransformersWouldFailOrComputeOtherwiseIsRejectedByName(string field, string why)
    {
        MutableTinyCheckpoint f = MutableTinyCheckpoint.Create();
        if (!f.Config.ContainsKey(field)) f.Config[field] = true;   // tie_word_embeddings: add it, then null it
        f.Write(_dir);
        string json = File.ReadAllText(ConfigPath);
        string current = $"\"{field}\":{f.Config[field]!.ToJsonString()}";
        File.WriteAllText(ConfigPath, json.Replace(current, $"\"{field}\":null"));
        var e = Assert.Throws<ConfigException>(() => BertModel.Load(_dir))!;
        Assert.That(e.Message, Does.StartWith($"{ConfigPath}: field \"{field}\" is null: ").And.Contain(why).And.EndWith("give a value or leave the field out"));
    }

    [Test]
    public void NullPadTokenIdAndAbsentFieldsStillLoad()
    {
        // transformers: pad_token_id None only drops the embedding's padding_idx, which matters for training only.
        WriteWithConfigField("pad_token_id", "null");
        BertModel model = BertModel.Load(_dir);
        Assert.That(model.Config.PadTokenId, Is.EqualTo(0));
        ModelOutput o = model.Run(new BertBatch(1, 4, [2, 31, 32, 3]));
        Assert.That(NonFiniteValues.IndexOfFirst(o.LastHiddenState), Is.EqualTo(-1));
    }

    [Test]
    public void NumLabelsNullWithoutId2LabelIsRejected()
    {
        var e = Assert.Throws<ConfigException>(() => BertConfig.Parse("{\"num_labels\": null}", "/m/config.json"))!;
        Assert.That(e.Message, Does.StartWith("/m/config.json: field \"num_labels\" is null"));
        var c = BertConfig.Parse("{\"num_labels\": null, \"id2label\": {\"0\": \"a\", \"1\": \"b\", \"2\": \"c\"}}", "/m/config.json");
        Assert.That(c.NumLabels, Is.EqualTo(3));
    }

    [Test]
    public void ControlCharactersInTensorNamesNeverBreakTheMessageLine()
    {
        MutableTinyCheckpoint f = MutableTinyCheckpoint.Create();
        f.Tensors.First(x => x.Name == "pooler.dense.bias").Name = "pooler.dense.bias\n\u0085x";
        f.Write(_dir);
        var e = Assert.Throws<CheckpointException>(() => BertModel.Load(_dir))!;
        Assert.That(e.Message, Does.Contain("'pooler.dense.bias' missing"));
        AssertOneLine(e);
        Assert.That(e.Message, Does.Not.Contain("\u0085"));
    }

    [Test]
    public void InvalidUtf8InConfigIsAConfigError()
    {
        MutableTinyCheckpoint.Create().Write(_dir);
        byte[] bytes = File.ReadAllBytes(ConfigPath);
        bytes[Array.IndexOf(bytes, (byte)'g')] = 0xC3;
        File.WriteAllBytes(ConfigPath, bytes);
        var e = Assert.Throws<ConfigException>(() => BertModel.Load(_dir))!;
        Assert.That(e.Message, Is.EqualTo($"{ConfigPath}: not valid UTF-8 (so not valid JSON)"));
    }

    [Test]
    public void ErrorTextEscapesEveryControlCharacter()
    {
        Assert.That(ErrorText.OneLine("a\nb\r\tc\u2028d\u0001"), Is.EqualTo("a\\nb\\r\\tc\\u2028d\\u0001"));
        Assert.That(ErrorText.OneLine("plain"), Is.SameAs(ErrorText.OneLine("plain")).Or.EqualTo("plain"));
        Assert.That(new CheckpointException("x\ny").Message, Is.EqualTo("x\\ny"));
        Assert.That(new ConfigException("x\ny").Message, Is.EqualTo("x\\ny"));
        string cut = ErrorText.Shorten(new string('a', 79) + "😀" + "b");
        Assert.That(cut, Is.EqualTo(new string('a', 79) + "…"), "a surrogate pair is never split");
    }
}
