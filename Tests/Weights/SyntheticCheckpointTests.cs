using BertSharp.Cli;
using BertSharp.Engine;
using BertSharp.Weights;

namespace BertSharp.Tests.Weights;

/// <summary>Random-weight checkpoints for speed measurements (bertsharp bench --synthetic, BertBaseBenchmarks).</summary>
public class SyntheticCheckpointTests
{
    private const string TinyConfig = """
        {"architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu", "hidden_size": 32,
         "intermediate_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2, "layer_norm_eps": 1e-12,
         "max_position_embeddings": 64, "type_vocab_size": 2, "vocab_size": 500, "pad_token_id": 0}
        """;

    private string _dir = "";

    [SetUp] public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "bertsharp-synthetic-test-" + Guid.NewGuid().ToString("N"));
    [TearDown] public void TearDown() { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); }

    [Test]
    public void WritesALoadableCheckpointInitialisedLikeTransformers()
    {
        SyntheticCheckpoint.WriteConfig(TinyConfig, _dir, seed: 7);
        using (var checkpoint = Checkpoint.Open(_dir))
        {
            float[] gamma = checkpoint.ReadFloat32("encoder.layer.1.output.LayerNorm.weight", 32);
            float[] beta = checkpoint.ReadFloat32("encoder.layer.1.output.LayerNorm.bias", 32);
            float[] bias = checkpoint.ReadFloat32("encoder.layer.0.intermediate.dense.bias", 64);
            float[] w = checkpoint.ReadFloat32("encoder.layer.0.intermediate.dense.weight", 64, 32);
            Assert.That(gamma, Is.All.EqualTo(1f));
            Assert.That(beta, Is.All.EqualTo(0f));
            Assert.That(bias, Is.All.EqualTo(0f));
            double sum = 0, sq = 0;
            foreach (float v in w) { sum += v; sq += v * (double)v; }
            double mean = sum / w.Length, std = Math.Sqrt(sq / w.Length - mean * mean);
            Assert.That(mean, Is.EqualTo(0).Within(0.003));
            Assert.That(std, Is.EqualTo(0.02).Within(0.002));
        }
        var model = BertModel.Load(_dir);
        Assert.That(model.Config.NumHiddenLayers, Is.EqualTo(2));
        ModelOutput output = model.Run(new BertBatch(1, 5, [101, 7, 8, 9, 102]));
        Assert.That(output.LastHiddenState, Has.None.NaN);
    }

    [Test]
    public void SameSeedSameBytesOtherSeedOtherWeights()
    {
        SyntheticCheckpoint.WriteConfig(TinyConfig, Path.Combine(_dir, "a"), seed: 1);
        SyntheticCheckpoint.WriteConfig(TinyConfig, Path.Combine(_dir, "b"), seed: 1);
        SyntheticCheckpoint.WriteConfig(TinyConfig, Path.Combine(_dir, "c"), seed: 2);
        byte[] a = File.ReadAllBytes(Path.Combine(_dir, "a", "model.safetensors"));
        Assert.That(File.ReadAllBytes(Path.Combine(_dir, "b", "model.safetensors")), Is.EqualTo(a));
        Assert.That(File.ReadAllBytes(Path.Combine(_dir, "c", "model.safetensors")), Is.Not.EqualTo(a));
    }

    [Test]
    public void PresetsAreValidConfigs()
    {
        BertConfig baseConfig = BertConfig.Parse(SyntheticCheckpoint.Presets["bert-base-uncased"], "bert-base-uncased");
        Assert.That((baseConfig.HiddenSize, baseConfig.NumHiddenLayers, baseConfig.NumAttentionHeads, baseConfig.IntermediateSize),
            Is.EqualTo((768, 12, 12, 3072)));
        // bert-base-uncased at [1, 128]: 12 × (4·2·128·768² + 2·2·128·768·3072 + 2·2·128²·768) multiply-add flops
        Assert.That(EncoderCost.Flops(baseConfig, 1, 128), Is.EqualTo(12.0 * (8 * 128.0 * 768 * 768 + 4 * 128.0 * 768 * 3072 + 4 * 128.0 * 128 * 768)));
    }

    [Test]
    public void BenchRejectsAnUnknownPresetByName()
    {
        var output = new StringWriter(); var error = new StringWriter();
        int code = Cli.Cli.Run(["bench", "--synthetic", "bert-huge"], new StringReader(""), output, error);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error.ToString(), Does.Contain("bert-huge").And.Contain("bert-base-uncased"));
    }
}
