using BertSharp.Engine;
using BertSharp.Engine.Kernels;
using BertSharp.Engine.Model.Heads;
using BertSharp.Tests.Support;

namespace BertSharp.Tests.Model;

/// <summary>
/// The int8 model (LoadOptions.Quantization = Int8) keeps the fp32 engine's properties: batch and thread-count
/// invariance, zero allocations per pass once warm, the precision plan it was asked for, task heads, clear errors.
/// </summary>
[NonParallelizable]
public class Int8ModelBehaviourTests
{
    private static readonly LoadOptions Int8Options = new() { Quantization = WeightQuantization.Int8 };
    private static readonly Lazy<BertModel> MiniLm = new(() => BertModel.Load(SharedData.Require("models/all-MiniLM-L6-v2"), Int8Options));

    private static readonly string[] Texts =
    [
        "Dogs bark.", "A much longer sentence that forces the short one to be padded quite a lot, with commas, numbers (42) and more.",
        "Hi", "the river flowed over the bank.", "the bank strongly resisted cutting interest rates.",
    ];

    [Test]
    public void TextGivesTheSameInt8VectorAloneAndInAPaddedBatchOf32()
    {
        var embedder = new SentenceEmbedder(MiniLm.Value) { BatchSize = 32 };
        var batch = new List<string>();
        for (int i = 0; i < 32; i++) batch.Add(Texts[i % Texts.Length] + (i >= Texts.Length ? $" (copy {i})" : ""));
        float[][] together = embedder.Embed(batch);
        for (int i = 0; i < Texts.Length; i++)
            Assert.That(embedder.Embed(batch[i]), Is.EqualTo(together[i]), $"text {i}: alone vs in a padded batch of 32");
    }

    [Test]
    public void Int8ResultDoesNotDependOnThreadCount()
    {
        BertModel model = MiniLm.Value;
        ModelOutput one = model.Run(Texts, options: new RunOptions { MaxThreads = 1 });
        ModelOutput two = model.Run(Texts, options: new RunOptions { MaxThreads = 2 });
        ModelOutput all = model.Run(Texts, options: new RunOptions { MaxThreads = 0 });
        Assert.That(two.LastHiddenState, Is.EqualTo(one.LastHiddenState));
        Assert.That(all.LastHiddenState, Is.EqualTo(one.LastHiddenState));
        Assert.That(two.PoolerOutput, Is.EqualTo(one.PoolerOutput));
    }

    [TestCase(1)]
    [TestCase(2)]
    public void Int8RunIntoAllocatesNothingInTheSteadyState(int threads)
    {
        BertModel model = MiniLm.Value;
        var ids = new int[2 * 40];
        for (int i = 0; i < ids.Length; i++) ids[i] = 1000 + i * 13;
        var mask = new int[ids.Length];
        Array.Fill(mask, 1, 0, 40); Array.Fill(mask, 1, 40, 25);
        var batch = new BertBatch(2, 40, ids, null, mask);
        var last = new float[2 * 40 * model.Config.HiddenSize];
        var pooled = new float[2 * model.Config.HiddenSize];
        for (int i = 0; i < 100; i++) model.RunInto(batch, last, pooled, threads);
        Thread.Sleep(200);
        var rounds = new List<long>();
        for (int round = 0; round < 5 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread() + KernelParallel.WorkerAllocatedBytes;
            for (int i = 0; i < 20; i++) model.RunInto(batch, last, pooled, threads);
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() + KernelParallel.WorkerAllocatedBytes - before);
        }
        Assert.That(rounds[^1], Is.Zero, $"bytes allocated by rounds of 20 int8 forward passes: {string.Join(", ", rounds)}");
        Assert.That(last, Is.EqualTo(model.Run(batch, new RunOptions { MaxThreads = threads }).LastHiddenState));
    }

    [Test]
    public void TheDefaultPlanFollowsTheCpu()
    {
        // x64 without AVX-VNNI: every projection int8, Q/K/V and attention output on 7-bit weights, FFN up and down on
        // int16 activations. Elsewhere: FFN down fp32, the rest int8 with 8-bit weights and activations.
        BertModel model = MiniLm.Value;
        Assert.That(model.Quantization, Is.EqualTo(WeightQuantization.Int8));
        bool x64WithoutVnni = QuantizedWeight.ReducedRangeIsFaster;
        TestContext.Out.WriteLine($"x64 without AVX-VNNI: {x64WithoutVnni}");
        foreach (var layer in model.Encoder.Layers)
        {
            Assert.That(layer.SelfAttention.QueryKeyValue.IsInt8, Is.True);
            Assert.That(layer.AttentionOutput.IsInt8, Is.True);
            Assert.That(layer.Intermediate.IsInt8, Is.True);
            Assert.That(layer.Output.IsInt8, Is.EqualTo(x64WithoutVnni));
            Assert.That(layer.SelfAttention.QueryKeyValue.Quantized!.ReducedRange, Is.EqualTo(x64WithoutVnni));
            Assert.That(layer.AttentionOutput.Quantized!.ReducedRange, Is.EqualTo(x64WithoutVnni));
            Assert.That(layer.Intermediate.Quantized!.ReducedRange, Is.False);
            Assert.That(layer.SelfAttention.QueryKeyValue.Quantized!.WideActivations, Is.False);
            Assert.That(layer.Intermediate.Quantized!.WideActivations, Is.EqualTo(x64WithoutVnni));
            if (x64WithoutVnni) Assert.That(layer.Output.Quantized!.WideActivations, Is.True);
            Assert.That(layer.Intermediate.InverseInputScale.Length, Is.EqualTo(model.Config.HiddenSize), "SmoothQuant scales");
        }
        Assert.That(model.Pooler!.Dense.IsInt8, Is.False);
        var ex = Assert.Throws<InvalidOperationException>(() => _ = model.Encoder.Layers[0].Intermediate.Weight);
        Assert.That(ex!.Message, Does.Contain("int8"));
    }

    [Test]
    public void AnExplicitPlanIsFollowed()
    {
        using var tiny = new TinyBertFolder();
        var model = BertModel.Load(tiny.Directory, new LoadOptions
        {
            Quantization = WeightQuantization.Int8, Int8Projections = EncoderProjections.All, SmoothQuantAlpha = null,
        });
        foreach (var layer in model.Encoder.Layers)
        {
            Assert.That(layer.Output.IsInt8, Is.True);
            Assert.That(layer.Output.InverseInputScale.IsEmpty, Is.True, "no SmoothQuant without an alpha");
        }
        var fp32 = BertModel.Load(tiny.Directory);
        Assert.That(fp32.Encoder.Layers[0].Output.IsInt8, Is.False);
        Assert.That(fp32.Quantization, Is.EqualTo(WeightQuantization.None));
    }

    [Test]
    public void Int8TinyModelStaysCloseToFp32()
    {
        using var tiny = new TinyBertFolder();
        var fp32 = new SentenceEmbedder(BertModel.Load(tiny.Directory)).Embed(["the dog was eating food.", "a river bank"]);
        var int8 = SentenceEmbedder.Load(tiny.Directory, Int8Options).Embed(["the dog was eating food.", "a river bank"]);
        for (int i = 0; i < fp32.Length; i++)
            Assert.That(VectorMath.CosineSimilarity(fp32[i], int8[i]), Is.GreaterThan(0.99), $"text {i}");
    }

    [Test]
    public void TaskHeadsLoadWithAnInt8Encoder()
    {
        string dir = SharedData.Require("golden/tiny/seq-cls");
        var fp32 = BertForSequenceClassification.Load(dir);
        var int8 = BertForSequenceClassification.Load(dir, Int8Options);
        Assert.That(int8.Bert.Quantization, Is.EqualTo(WeightQuantization.Int8));
        Assert.That(int8.Classifier.IsInt8, Is.False, "heads stay fp32");
        var batch = new BertBatch(1, 6, [2, 10, 11, 12, 13, 3]);
        float[] a = fp32.Run(batch).Logits, b = int8.Run(batch).Logits;
        Assert.That(b, Has.Length.EqualTo(a.Length));
        Assert.That(b, Is.EqualTo(a).Within(0.05), "int8 logits near fp32");
        Assert.That(BertHeads.Load(dir, Int8Options).Bert.Quantization, Is.EqualTo(WeightQuantization.Int8));
    }

    [Test]
    public void ABadSmoothQuantAlphaIsAClearError()
    {
        using var tiny = new TinyBertFolder();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            BertModel.Load(tiny.Directory, new LoadOptions { Quantization = WeightQuantization.Int8, SmoothQuantAlpha = 1.5f }));
        Assert.That(ex!.Message, Does.Contain("SmoothQuantAlpha"));
    }
}
