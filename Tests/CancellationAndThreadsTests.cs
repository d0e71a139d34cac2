using BertSharp.Engine;
using BertSharp.Engine.Model.Heads;
using BertSharp.Engine.Tasks;

namespace BertSharp.Tests;

/// <summary>
/// Cancellation and thread budgets of the long calls: a cancelled token stops Run, RunInto, SentenceEmbedder.Embed,
/// the task pipelines, WordEmbeddings and the CLI's file mode with OperationCanceledException (CLI: exit code 130);
/// a call after a cancelled one gives exactly the normal result; MaxThreads 1 and 2 give identical results.
/// Mid-way cancellation is made deterministic by cancelling from inside the input list when the second batch is read.
/// </summary>
[NonParallelizable]
public class CancellationAndThreadsTests
{
    private const string MiniLm = "models/all-MiniLM-L6-v2";
    private static readonly Lazy<BertModel> Model = new(() => BertModel.Load(SharedData.Require(MiniLm)));
    private readonly List<string> _temp = [];

    private static readonly string[] Texts =
    [
        "A man is eating food.",
        "A man is eating a piece of bread.",
        "The girl is carrying a baby.",
        "the river flowed over the bank.",
        "the bank strongly resisted cutting interest rates.",
        "A monkey is playing drums.",
        "Someone in a gorilla costume is playing a set of drums.",
    ];

    [TearDown]
    public void RemoveTemp()
    {
        foreach (string path in _temp)
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else if (File.Exists(path)) File.Delete(path);
        }
        _temp.Clear();
    }

    private static CancellationToken Cancelled() => new(canceled: true);

    private static BertBatch TwoRows(BertModel model)
    {
        var tokenizer = model.RequireTokenizer();
        var a = tokenizer.Encode("The quick brown fox jumps over the lazy dog.");
        var b = tokenizer.Encode("Hello world!");
        return BertBatch.FromEncodings([a, b], tokenizer.PadTokenId);
    }

    // ---- pre-cancelled tokens -------------------------------------------------------------------------------------

    [Test]
    public void PreCancelledRunThrows()
    {
        BertModel model = Model.Value;
        BertBatch batch = TwoRows(model);
        Assert.That(() => model.Run(batch, new RunOptions { CancellationToken = Cancelled() }),
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(() => model.Run(["Hello world!"], null, new RunOptions { CancellationToken = Cancelled() }),
            Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void PreCancelledSlidingWindowRunThrows()
    {
        BertModel model = Model.Value;
        string longText = string.Join(' ', Enumerable.Repeat("the river flowed over the bank again and again", 80));
        var windows = new LongInputOptions { Policy = LongInputPolicy.SlidingWindow, MaxLength = 64, Stride = 16 };
        Assert.That(() => model.Run([longText, "short"], null, new RunOptions { CancellationToken = Cancelled() }, windows),
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(model.Run([longText, "short"], null, null, windows).LastHiddenState, Has.Some.Not.Zero, "and it runs without a token");
    }

    [Test]
    public void PreCancelledRunIntoThrows()
    {
        BertModel model = Model.Value;
        BertBatch batch = TwoRows(model);
        var last = new float[batch.BatchSize * batch.SequenceLength * model.Config.HiddenSize];
        var pooled = new float[batch.BatchSize * model.Config.HiddenSize];
        Assert.That(() => model.RunInto(batch, last, pooled, 1, Cancelled()), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void PreCancelledEmbedThrows()
    {
        var embedder = new SentenceEmbedder(Model.Value);
        Assert.That(() => embedder.Embed(Texts, Cancelled()), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(() => embedder.Embed("Hello", Cancelled()), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(() => embedder.Similarity("a", "b", Cancelled()), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void PreCancelledWordEmbeddingsThrow()
    {
        BertModel model = Model.Value;   // outside the constraint: without the shared model the test reports itself ignored
        Assert.That(() => ContextualWordVectors.Compute(model, "the bank", cancellationToken: Cancelled()),
            Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void PreCancelledPipelinesThrow()
    {
        var classify = new TextClassificationPipeline(BertForSequenceClassification.Load(TinyModel("seq-cls")));
        Assert.That(() => classify.Classify(["a good day", "a bad day"], null, Cancelled()), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(() => classify.Classify("a good day", null, Cancelled()), Throws.InstanceOf<OperationCanceledException>());
        var ner = new TokenClassificationPipeline(BertForTokenClassification.Load(TinyModel("token-cls")));
        Assert.That(() => ner.Recognize("john lives in paris", AggregationStrategy.Simple, Cancelled()), Throws.InstanceOf<OperationCanceledException>());
        var qa = new QuestionAnsweringPipeline(BertForQuestionAnswering.Load(TinyModel("qa")));
        Assert.That(() => qa.Answer("where?", "in the city", Cancelled()), Throws.InstanceOf<OperationCanceledException>());
        var nsp = new NextSentencePipeline(BertForNextSentencePrediction.Load(TinyModel("nsp")));
        Assert.That(() => nsp.IsNext("the sky", "is blue", Cancelled()), Throws.InstanceOf<OperationCanceledException>());
        var fill = new FillMaskPipeline(BertForMaskedLM.Load(TinyModel("masked-lm")));
        Assert.That(() => fill.Predict("the [MASK] is blue", null, 5, Cancelled()), Throws.InstanceOf<OperationCanceledException>());

        // The same pipelines run normally afterwards.
        Assert.That(classify.Classify("a good day").Label, Is.Not.Empty);
        Assert.That(fill.Predict("the [MASK] is blue").Masks, Has.Count.EqualTo(1));
    }

    [Test]
    public void PreCancelledHeadRunThrows()
    {
        var mlm = BertForMaskedLM.Load(TinyModel("masked-lm"));
        var batch = new BertBatch(1, 4, [101, 1996, 103, 102]);
        Assert.That(() => mlm.Run(batch, new RunOptions { CancellationToken = Cancelled() }), Throws.InstanceOf<OperationCanceledException>());
    }

    // ---- mid-way cancellation ---------------------------------------------------------------------------------------

    /// <summary>A list that cancels a token when element <paramref name="cancelAt"/> is first read, and records the highest index read.</summary>
    private sealed class CancellingList(IReadOnlyList<string> items, int cancelAt, CancellationTokenSource source) : IReadOnlyList<string>
    {
        public int HighestIndexRead { get; private set; } = -1;
        public int Count => items.Count;
        public string this[int index]
        {
            get
            {
                HighestIndexRead = Math.Max(HighestIndexRead, index);
                if (index == cancelAt) source.Cancel();
                return items[index];
            }
        }
        public IEnumerator<string> GetEnumerator() { for (int i = 0; i < Count; i++) yield return this[i]; }
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Test]
    public void EmbedCancelledAfterTheFirstBatchStopsBeforeTheThird()
    {
        var embedder = new SentenceEmbedder(Model.Value) { BatchSize = 2 };
        using var cts = new CancellationTokenSource();
        var texts = new CancellingList(Texts, cancelAt: 2, cts);    // the first text of the second batch
        Assert.That(() => embedder.Embed(texts, cts.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(texts.HighestIndexRead, Is.EqualTo(3), "the second batch was gathered but the third never started");
    }

    [Test]
    public void CancellationLeavesNothingBehind()
    {
        BertModel model = Model.Value;
        BertBatch batch = TwoRows(model);
        var embedder = new SentenceEmbedder(model) { BatchSize = 2, MaxThreads = 2 };
        float[][] freshEmbeddings = new SentenceEmbedder(BertModel.Load(SharedData.Require(MiniLm))) { BatchSize = 2, MaxThreads = 2 }.Embed(Texts);
        ModelOutput fresh = model.Run(batch, new RunOptions { MaxThreads = 2 });

        // Cancelled calls of every kind on this model and this thread's workspace...
        using (var cts = new CancellationTokenSource())
            Assert.That(() => embedder.Embed(new CancellingList(Texts, 4, cts), cts.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(() => model.Run(batch, new RunOptions { MaxThreads = 2, CancellationToken = Cancelled() }), Throws.InstanceOf<OperationCanceledException>());
        var last = new float[fresh.LastHiddenState.Length];
        var pooled = new float[fresh.PoolerOutput!.Length];
        Assert.That(() => model.RunInto(batch, last, pooled, 2, Cancelled()), Throws.InstanceOf<OperationCanceledException>());

        // ...then normal calls: bit for bit the results of an untouched model.
        Assert.That(embedder.Embed(Texts), Is.EqualTo(freshEmbeddings));
        ModelOutput again = model.Run(batch, new RunOptions { MaxThreads = 2 });
        Assert.That(again.LastHiddenState, Is.EqualTo(fresh.LastHiddenState));
        Assert.That(again.PoolerOutput, Is.EqualTo(fresh.PoolerOutput));
        model.RunInto(batch, last, pooled, 2, CancellationToken.None);
        Assert.That(last, Is.EqualTo(fresh.LastHiddenState));
        Assert.That(pooled, Is.EqualTo(fresh.PoolerOutput));
    }

    [Test]
    public void ACancelledRunIntoGivesItsWorkspaceBack()
    {
        // If the cancelled call lost this thread's workspace, the next calls would allocate a new one.
        var model = BertModel.Load(SharedData.Require("golden/tiny/bert-base"));
        var batch = new BertBatch(2, 6, [101, 2023, 2003, 1037, 3231, 102, 101, 7592, 102, 0, 0, 0], null,
            [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
        var last = new float[2 * 6 * model.Config.HiddenSize];
        var pooled = new float[2 * model.Config.HiddenSize];
        for (int i = 0; i < 200; i++) model.RunInto(batch, last, pooled, 1);   // warm up: JIT tiers, workspace
        Thread.Sleep(200);
        Assert.That(() => model.RunInto(batch, last, pooled, 1, Cancelled()), Throws.InstanceOf<OperationCanceledException>());

        var rounds = new List<long>();
        for (int round = 0; round < 5 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++) model.RunInto(batch, last, pooled, 1, CancellationToken.None);
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.That(rounds[^1], Is.Zero, $"bytes allocated by rounds of 20 forward passes after a cancelled one: {string.Join(", ", rounds)}");
        Assert.That(last, Is.EqualTo(model.Run(batch, new RunOptions { MaxThreads = 1 }).LastHiddenState));
    }

    // ---- thread budgets ---------------------------------------------------------------------------------------------

    [Test]
    public void OneAndTwoThreadsGiveIdenticalResults()
    {
        BertModel model = Model.Value;
        float[][] one = new SentenceEmbedder(model) { MaxThreads = 1, BatchSize = 4 }.Embed(Texts);
        float[][] two = new SentenceEmbedder(model) { MaxThreads = 2, BatchSize = 4 }.Embed(Texts);
        Assert.That(two, Is.EqualTo(one));

        BertBatch batch = TwoRows(model);
        ModelOutput a = model.Run(batch, new RunOptions { MaxThreads = 1 });
        ModelOutput b = model.Run(batch, new RunOptions { MaxThreads = 2 });
        Assert.That(b.LastHiddenState, Is.EqualTo(a.LastHiddenState));
        Assert.That(b.PoolerOutput, Is.EqualTo(a.PoolerOutput));

        var words1 = ContextualWordVectors.Compute(model, "the bank raised interest rates", sumLastFourLayers: true, maxThreads: 1);
        var words2 = ContextualWordVectors.Compute(model, "the bank raised interest rates", sumLastFourLayers: true, maxThreads: 2);
        for (int i = 0; i < words1.Count; i++) Assert.That(words2[i].Vector, Is.EqualTo(words1[i].Vector));

        string dir = TinyModel("seq-cls");
        var seq = BertForSequenceClassification.Load(dir);
        var p1 = new TextClassificationPipeline(seq) { MaxThreads = 1 }.Classify(["a good day", "not good at all"]);
        var p2 = new TextClassificationPipeline(seq) { MaxThreads = 2 }.Classify(["a good day", "not good at all"]);
        for (int i = 0; i < p1.Count; i++) Assert.That(p2[i].Scores, Is.EqualTo(p1[i].Scores));
    }

    // ---- CLI ------------------------------------------------------------------------------------------------------

    [Test]
    public void InterruptedEmbedFileExits130AndLeavesTheOutputAsItWas()
    {
        string dir = TempDir();
        string corpus = Path.Combine(dir, "corpus.jsonl");
        File.WriteAllLines(corpus, Texts.Select(t => "{\"text\": \"" + t + "\"}"));
        string output = Path.Combine(dir, "vectors.npy");
        File.WriteAllText(output, "previous run");
        var stdout = new StringWriter(); var stderr = new StringWriter();
        int code = Cli.EmbedCommand.Run(["--model", SharedData.Require(MiniLm), "--input", corpus, "--output", output],
            new StringReader(""), stdout, stderr, Cancelled());
        Assert.That(code, Is.EqualTo(Cli.EmbedCommand.InterruptedExitCode));
        Assert.That(stderr.ToString().Trim(), Does.StartWith("bertsharp embed: interrupted").And.Contain(output));
        Assert.That(stderr.ToString().Trim().Split('\n'), Has.Length.EqualTo(1), "one line on stderr");
        Assert.That(File.ReadAllText(output), Is.EqualTo("previous run"), "the destination is untouched");
        Assert.That(Directory.GetFiles(dir).Select(Path.GetFileName), Is.EquivalentTo(new[] { "corpus.jsonl", "vectors.npy" }),
            "no temporary file left behind");
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    private string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"bertsharp-cancel-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        _temp.Add(dir);
        return dir;
    }

    /// <summary>A tiny head checkpoint with the shared tiny tokenizer files beside it.</summary>
    private string TinyModel(string model)
    {
        string tiny = SharedData.Require("golden/tiny");
        string dir = TempDir();
        foreach (string f in Directory.GetFiles(Path.Combine(tiny, model))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        File.Copy(Path.Combine(tiny, "vocab.txt"), Path.Combine(dir, "vocab.txt"));
        File.Copy(Path.Combine(tiny, "tokenizer_config.json"), Path.Combine(dir, "tokenizer_config.json"));
        return dir;
    }
}
