using BertSharp.Weights;

namespace BertSharp.Tests.Weights;

/// <summary>Every checkpoint in golden/tiny/bad must be rejected with the right exception and a message naming the defect.</summary>
public class WeightsBadCheckpointTests
{
    /// <summary>Opens like a model loader does: config + files, then every BertModel parameter with its shape.</summary>
    private static void LoadAsBertModel(string dir)
    {
        using var ckpt = Checkpoint.Open(dir);
        bool withPooler = ckpt.Contains(BertParameterNames.PoolerDenseWeight);
        foreach (ExpectedTensor t in BertParameterNames.ForBertModel(ckpt.Config, withPooler))
            ckpt.ReadFloat32(t.Name, t.Shape);
    }

    // name, exception type, fragments the message must contain
    private static readonly object[] Cases =
    [
        new object[] { "header_length_exceeds_file", typeof(CheckpointException), new[] { "model.safetensors", "header length 1000000", "file size 10080" } },
        new object[] { "data_offsets_overlap", typeof(CheckpointException), new[] { "model.safetensors", "overlap", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias" } },
        new object[] { "data_offsets_past_end", typeof(CheckpointException), new[] { "model.safetensors", "beyond the data section", "truncated" } },
        new object[] { "shape_bytes_mismatch", typeof(CheckpointException), new[] { "model.safetensors", "pooler.dense.bias", "[9]", "needs 36 bytes", "span 32" } },
        new object[] { "unknown_dtype", typeof(CheckpointException), new[] { "model.safetensors", "embeddings.LayerNorm.weight", "F8_E9M9" } },
        new object[] { "header_invalid_utf8", typeof(CheckpointException), new[] { "model.safetensors", "not valid UTF-8" } },
        new object[] { "header_invalid_json", typeof(CheckpointException), new[] { "model.safetensors", "not valid JSON" } },
        new object[] { "missing_tensor", typeof(CheckpointException), new[] { "missing_tensor", "required tensor 'encoder.layer.1.output.dense.weight' missing" } },
        new object[] { "wrong_shape", typeof(CheckpointException), new[] { "model.safetensors", "encoder.layer.0.intermediate.dense.weight", "[8,16] != expected [16,8]" } },
        new object[] { "config_heads_not_dividing", typeof(ConfigException), new[] { "config.json", "hidden_size 8 is not a multiple of num_attention_heads 3" } },
        new object[] { "config_relative_key", typeof(ConfigException), new[] { "config.json", "position_embedding_type", "relative_key" } },
        new object[] { "index_missing_shard", typeof(CheckpointException), new[] { "model.safetensors.index.json", "model-00002-of-00002.safetensors", "not found" } },
        new object[] { "empty_model_file", typeof(CheckpointException), new[] { "model.safetensors", "0 bytes", "empty file" } },
    ];

    [TestCaseSource(nameof(Cases))]
    public void BadCheckpointIsRejected(string name, Type exceptionType, string[] fragments)
    {
        string dir = SharedData.Require("golden/tiny/bad/" + name);
        Exception? caught = null;
        try { LoadAsBertModel(dir); }
        catch (Exception e) { caught = e; }
        Assert.That(caught, Is.Not.Null, $"{name} was accepted");
        Assert.That(caught, Is.TypeOf(exceptionType), $"{name}: {caught}");
        foreach (string f in fragments)
            Assert.That(caught!.Message, Does.Contain(f), name);
        TestContext.Out.WriteLine($"{name}: {caught!.Message}");
    }

    [Test]
    public void EveryBadCaseOfTheManifestIsCovered()
    {
        string manifest = SharedData.Require("golden/tiny/bad/manifest.json");
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(manifest));
        var names = doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToArray();
        Assert.That(Cases.Select(c => (string)((object[])c)[0]), Is.EquivalentTo(names));
    }

    [Test]
    public void MissingTensorListsTheNamesTriedAndSomeStoredOnes()
    {
        string dir = SharedData.Require("golden/tiny/bad/missing_tensor");
        using var ckpt = Checkpoint.Open(dir);
        var e = Assert.Throws<CheckpointException>(() => ckpt.ReadFloat32("encoder.layer.1.output.dense.weight", 8, 16))!;
        Assert.That(e.Message, Does.Contain("bert.encoder.layer.1.output.dense.weight"), "names tried");
        Assert.That(e.Message, Does.Contain("encoder.layer.1.output.dense.bias"), "nearby stored names");
        Assert.That(ckpt.Contains("encoder.layer.1.output.dense.weight"), Is.False);
        var all = Assert.Throws<CheckpointException>(() => ckpt.Require(BertParameterNames.ForBertModel(ckpt.Config, withPooler: true)))!;
        Assert.That(all.Message, Does.Contain("missing 'encoder.layer.1.output.dense.weight' [8,16]"));
    }

    [Test]
    public void WrongShapeIsReportedByRequireToo()
    {
        string dir = SharedData.Require("golden/tiny/bad/wrong_shape");
        using var ckpt = Checkpoint.Open(dir);
        var e = Assert.Throws<CheckpointException>(() => ckpt.Require(BertParameterNames.ForBertModel(ckpt.Config, withPooler: true)))!;
        Assert.That(e.Message, Does.Contain("'encoder.layer.0.intermediate.dense.weight' has shape [8,16] != expected [16,8]"));
    }
}
