using BertSharp.Engine;

namespace BertSharp.Tests;

/// <summary>Engine properties beyond the golden numbers: batch/thread invariance, padding, long inputs, bad ids.</summary>
[NonParallelizable]
public class EngineBehaviourTests
{
    private static readonly Lazy<BertModel> MiniLm = new(() => BertModel.Load(SharedData.Require("models/all-MiniLM-L6-v2")));
    private static BertModel Model => MiniLm.Value;

    private static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs((double)a[i] - b[i]));
        return m;
    }

    [Test]
    public void TextGivesTheSameVectorsAloneAndInAPaddedBatch()
    {
        string[] texts = ["Dogs bark.", "A much longer sentence that forces the short one to be padded quite a lot.", "Hi"];
        ModelOutput batch = Model.Run(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            ModelOutput alone = Model.Run([texts[i]]);
            int len = alone.SequenceLength, h = alone.HiddenSize;
            double d = MaxAbsDiff(alone.LastHiddenState.AsSpan(0, len * h), batch.LastHiddenState.AsSpan(i * batch.SequenceLength * h, len * h));
            Assert.That(d, Is.LessThanOrEqualTo(1e-5), $"text {i}: alone vs batch");
            Assert.That(MaxAbsDiff(alone.PoolerOutput!.AsSpan(0, h), batch.PoolerOutput!.AsSpan(i * h, h)), Is.LessThanOrEqualTo(1e-5));
            // padded positions are zero, never garbage
            for (int t = len; t < batch.SequenceLength; t++)
                Assert.That(batch.LastHiddenState.AsSpan((i * batch.SequenceLength + t) * h, h).ToArray(), Is.All.EqualTo(0f));
        }
    }

    [Test]
    public void ResultDoesNotDependOnThreadCount()
    {
        string[] texts = ["The river flowed over the bank.", "Interest rates were cut by the central bank yesterday afternoon."];
        ModelOutput one = Model.Run(texts, null, new RunOptions { MaxThreads = 1, OutputAttentions = true });
        ModelOutput two = Model.Run(texts, null, new RunOptions { MaxThreads = 2, OutputAttentions = true });
        Assert.That(two.LastHiddenState, Is.EqualTo(one.LastHiddenState), "bit-identical for 1 and 2 threads");
        Assert.That(two.Attentions![0], Is.EqualTo(one.Attentions![0]));
    }

    [Test]
    public void OneModelServesSeveralThreadsAtOnce()
    {
        string[] texts = ["Dogs bark.", "The river flowed over the bank.", "A cheetah is running behind its prey.", "Hello world!"];
        var expected = new float[texts.Length][];
        for (int i = 0; i < texts.Length; i++) expected[i] = Model.Run([texts[i]]).LastHiddenState;
        var results = new float[texts.Length * 8][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            i => results[i] = Model.Run([texts[i % texts.Length]]).LastHiddenState);
        for (int i = 0; i < results.Length; i++)
            Assert.That(results[i], Is.EqualTo(expected[i % texts.Length]), $"call {i} on a shared model");
    }

    [Test]
    public void FullyMaskedRowGivesZerosNotNaN()
    {
        var batch = new BertBatch(2, 3, [101, 7592, 102, 101, 7592, 102], null, [1, 1, 1, 0, 0, 0]);
        ModelOutput o = Model.Run(batch, new RunOptions { OutputAttentions = true });
        Assert.That(o.LastHiddenState, Has.None.NaN);
        Assert.That(o.LastHiddenState.AsSpan(3 * o.HiddenSize).ToArray(), Is.All.EqualTo(0f));
        float[][] pooled = Pooling.Pool(o, PoolingMode.Mean, normalize: true);
        Assert.That(pooled[1], Is.All.EqualTo(0f));
    }

    [Test]
    public void InteriorMaskedKeysGetZeroAttention()
    {
        var batch = new BertBatch(1, 4, [101, 7592, 2088, 102], null, [1, 0, 1, 1]);
        ModelOutput o = Model.Run(batch, new RunOptions { OutputAttentions = true });
        float[] a = o.Attentions![0];
        for (int head = 0; head < o.NumHeads; head++)
            for (int q = 0; q < 4; q++)
                Assert.That(a[(head * 4 + q) * 4 + 1], Is.EqualTo(0f), $"head {head} query {q} attends to masked key 1");
    }

    [Test]
    public void BadIdsAreClearErrors()
    {
        _ = Model;   // load (or report the test as ignored) before asserting on exceptions
        var ex = Assert.Throws<BertInputException>(() => Model.Run(new BertBatch(1, 3, [101, 30522, 102])));
        Assert.That(ex!.Message, Does.Contain("input_ids[0,1] = 30522").And.Contain("vocabulary"));
        ex = Assert.Throws<BertInputException>(() => Model.Run(new BertBatch(1, 3, [101, 5, 102], [0, 2, 0])));
        Assert.That(ex!.Message, Does.Contain("token_type_ids[0,1] = 2"));
        ex = Assert.Throws<BertInputException>(() => new BertBatch(1, 3, [101, 5, 102], null, [1, 2, 1]));
        Assert.That(ex!.Message, Does.Contain("attention_mask[0,1] = 2"));
        ex = Assert.Throws<BertInputException>(() => new BertBatch(2, 3, [101, 5, 102]));
        Assert.That(ex!.Message, Does.Contain("input_ids has 3 values"));
        ex = Assert.Throws<BertInputException>(() => Model.Run(new BertBatch(1, 513, new int[513])));
        Assert.That(ex!.Message, Does.Contain("row 0 has 513 tokens").And.Contain("max_position_embeddings"));
    }

    private static string LongText(int words)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < words; i++) sb.Append(i % 7 == 0 ? "bank " : i % 3 == 0 ? "river " : "water ");
        return sb.ToString();
    }

    [Test]
    public void LongInputPolicyErrorIsTheDefault()
    {
        _ = Model;
        var ex = Assert.Throws<BertInputException>(() => Model.Run([LongText(600)]));
        Assert.That(ex!.Message, Does.Contain("text 0 has 602 tokens").And.Contain("at most 512"));
    }

    [Test]
    public void LongInputPolicyTruncateCutsAndSaysSo()
    {
        ModelOutput o = Model.Run(["short", LongText(600)], null, null, new LongInputOptions { Policy = LongInputPolicy.Truncate });
        Assert.That(o.SequenceLength, Is.EqualTo(512));
        Assert.That(o.Truncated, Is.EqualTo(new[] { false, true }));
        Assert.That(o.Batch.InputIds[512 + 511], Is.EqualTo(102), "truncated row still ends with [SEP]");
    }

    [Test]
    public void SlidingWindowsCoverEveryTokenAndMatchTheFirstWindow()
    {
        string text = LongText(40);   // 42 tokens
        var options = new LongInputOptions { Policy = LongInputPolicy.SlidingWindow, MaxLength = 16, Stride = 4 };
        ModelOutput merged = Model.Run([text, "short text"], null, null, options);
        Assert.That(merged.SequenceLength, Is.EqualTo(42));
        Assert.That(merged.LastHiddenState, Has.None.NaN);
        int h = merged.HiddenSize;
        for (int t = 0; t < 42; t++)
            Assert.That(MaxAbsDiff(merged.LastHiddenState.AsSpan(t * h, h), new float[h]), Is.GreaterThan(0), $"token {t} has a vector");

        // Tokens 0..10 ([CLS] + the first 10 content tokens) lie only in the first window: [CLS] c0..c13 [SEP].
        int[] ids = merged.Batch.InputIds.AsSpan(0, 42).ToArray();
        int[] first = [.. ids.AsSpan(0, 15), 102];
        ModelOutput window = Model.Run(BertBatch.FromRows([first]));
        Assert.That(MaxAbsDiff(merged.LastHiddenState.AsSpan(0, 11 * h), window.LastHiddenState.AsSpan(0, 11 * h)), Is.LessThanOrEqualTo(1e-6));

        // The short row is unaffected by its long neighbour.
        ModelOutput alone = Model.Run(["short text"]);
        Assert.That(MaxAbsDiff(merged.LastHiddenState.AsSpan(42 * h, alone.SequenceLength * h), alone.LastHiddenState), Is.LessThanOrEqualTo(1e-5));
    }

    [Test]
    public void SentenceEmbedderFollowsTheSentenceTransformersRecipe()
    {
        var embedder = new SentenceEmbedder(Model);
        Assert.That(embedder.Pooling, Is.EqualTo(PoolingMode.Mean));
        Assert.That(embedder.Normalize, Is.True);
        Assert.That(embedder.LongInputs.Policy, Is.EqualTo(LongInputPolicy.Truncate), "sentence_bert_config max_seq_length");
        Assert.That(embedder.LongInputs.MaxLength, Is.EqualTo(256));
        float[] v = embedder.Embed("Hello world!");
        Assert.That(System.Numerics.Tensors.TensorPrimitives.Norm(v), Is.EqualTo(1f).Within(1e-5));
        Assert.That(embedder.Similarity("A man is eating food.", "A man is eating a piece of bread."),
            Is.GreaterThan(embedder.Similarity("A man is eating food.", "The stock market fell sharply today.")));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void WordVectorsSeparateTheSensesOfBank(bool sumLastFourLayers)
    {
        // The golden polysemy sentences, plus a second finance use.
        float[] Bank(string text) =>
            ContextualWordVectors.Compute(Model, text, WordPieceAggregation.Mean, sumLastFourLayers).Single(w => w.Text == "bank").Vector;
        float[] river = Bank("the river flowed over the bank.");
        float[] finance1 = Bank("the bank strongly resisted cutting interest rates.");
        float[] finance2 = Bank("the bank raised interest rates again.");
        float riverVsFinance = VectorMath.CosineSimilarity(river, finance1);
        float financeVsFinance = VectorMath.CosineSimilarity(finance1, finance2);
        TestContext.Out.WriteLine($"cos(river, finance) = {riverVsFinance:F4}, cos(finance, finance) = {financeVsFinance:F4}");
        Assert.That(riverVsFinance, Is.LessThan(financeVsFinance));
    }

    [Test]
    public void WordsAggregateTheirPieces()
    {
        var words = ContextualWordVectors.Compute(Model, "Unbelievably good", WordPieceAggregation.Mean, sumLastFourLayers: true);
        Assert.That(words.Select(w => w.Text), Is.EqualTo(new[] { "Unbelievably", "good" }));
        Assert.That(words[0].Start, Is.EqualTo(0)); Assert.That(words[0].End, Is.EqualTo(12));
    }
}

/// <summary>The serving form of the forward pass allocates nothing once warm, and equals Run.</summary>
[NonParallelizable]
public class EngineAllocationTests
{
    [TestCase(1)]
    [TestCase(2)]
    public void RunIntoAllocatesNothingInTheSteadyState(int threads)
    {
        var model = BertModel.Load(SharedData.Require("models/all-MiniLM-L6-v2"));
        var ids = new int[2 * 40];
        for (int i = 0; i < ids.Length; i++) ids[i] = 1000 + i * 13;
        var mask = new int[ids.Length];
        Array.Fill(mask, 1, 0, 40); Array.Fill(mask, 1, 40, 25);     // second row padded
        var batch = new BertBatch(2, 40, ids, null, mask);
        var last = new float[2 * 40 * model.Config.HiddenSize];
        var pooled = new float[2 * model.Config.HiddenSize];
        for (int i = 0; i < 100; i++) model.RunInto(batch, last, pooled, threads);   // warm up: JIT tiers, workspace, pool
        Thread.Sleep(200);

        // Steady state: some round of 20 calls allocates nothing. (Rounds, because on a loaded machine the runtime may
        // still be finishing tiered recompilation during the first one; a per-call allocation shows in every round.)
        var rounds = new List<long>();
        for (int round = 0; round < 5 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread() + BertSharp.Engine.Kernels.KernelParallel.WorkerAllocatedBytes;
            for (int i = 0; i < 20; i++) model.RunInto(batch, last, pooled, threads);
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() + BertSharp.Engine.Kernels.KernelParallel.WorkerAllocatedBytes - before);
        }
        Assert.That(rounds[^1], Is.Zero, $"bytes allocated by rounds of 20 forward passes: {string.Join(", ", rounds)}");

        ModelOutput o = model.Run(batch, new RunOptions { MaxThreads = threads });
        Assert.That(last, Is.EqualTo(o.LastHiddenState));
        Assert.That(pooled, Is.EqualTo(o.PoolerOutput));
    }

    [Test]
    public void WorkspaceCacheLimitDecidesWhetherScratchIsKept()
    {
        var model = BertModel.Load(SharedData.Require("models/all-MiniLM-L6-v2"));
        var batch = new BertBatch(1, 16, [101, 2023, 2003, 1037, 3231, 1997, 1996, 2147, 3282, 4118, 2005, 2035, 1997, 2068, 1012, 102]);
        var last = new float[16 * model.Config.HiddenSize];
        long saved = BertModel.WorkspaceCacheLimitBytes;
        try
        {
            BertModel.WorkspaceCacheLimitBytes = 0;            // keep nothing: every call allocates its scratch
            for (int i = 0; i < 3; i++) model.RunInto(batch, last, default, 1);
            long before = GC.GetAllocatedBytesForCurrentThread();
            model.RunInto(batch, last, default, 1);
            long dropped = GC.GetAllocatedBytesForCurrentThread() - before;
            // [16 tokens × (6 × 384 + 1536)] floats at least
            Assert.That(dropped, Is.GreaterThanOrEqualTo(16L * (6 * 384 + 1536) * sizeof(float)));

            BertModel.WorkspaceCacheLimitBytes = 64L << 20;
            model.RunInto(batch, last, default, 1);
            long kept = -1;   // some of 5 calls allocates nothing (rounds: the runtime may still be re-JITting, see above)
            for (int attempt = 0; attempt < 5 && kept != 0; attempt++)
            {
                before = GC.GetAllocatedBytesForCurrentThread();
                model.RunInto(batch, last, default, 1);
                kept = GC.GetAllocatedBytesForCurrentThread() - before;
            }
            Assert.That(kept, Is.Zero);
        }
        finally { BertModel.WorkspaceCacheLimitBytes = saved; }
    }

    [Test]
    public void RunIntoRejectsShortBuffers()
    {
        var model = BertModel.Load(SharedData.Require("models/all-MiniLM-L6-v2"));
        var batch = new BertBatch(1, 3, [101, 7592, 102]);
        var ex = Assert.Throws<ArgumentException>(() => model.RunInto(batch, new float[10]));
        Assert.That(ex!.ParamName, Is.EqualTo("lastHiddenState"));
    }
}
