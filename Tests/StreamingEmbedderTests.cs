using BertSharp.Engine;
using BertSharp.Tests.Support;

namespace BertSharp.Tests;

/// <summary>Engine's StreamingEmbedder / SentenceEmbedder.EmbedStream: input order, windows, errors, async; no shared data.</summary>
public class StreamingEmbedderTests
{
    private static TinyBertFolder s_folder = null!;
    private static SentenceEmbedder s_embedder = null!;

    [OneTimeSetUp]
    public void Load()
    {
        s_folder = new TinyBertFolder();
        s_embedder = new SentenceEmbedder(BertModel.Load(s_folder.Directory)) { BatchSize = 3 };
    }

    [OneTimeTearDown] public void Cleanup() => s_folder.Dispose();

    private static List<string> Texts(int n)
    {
        var rng = new Random(5);
        var texts = new List<string>();
        for (int i = 0; i < n; i++)
        {
            int words = 1 + rng.Next(12);   // varied lengths so sorting within a window reorders
            var parts = new string[words];
            for (int w = 0; w < words; w++) parts[w] = TinyBertFolder.Words[rng.Next(TinyBertFolder.Words.Length)].TrimStart('#');
            texts.Add(string.Join(' ', parts));
        }
        return texts;
    }

    [TestCase(1)]
    [TestCase(4)]
    [TestCase(7)]
    [TestCase(100)]
    public void YieldsEveryVectorInInputOrder_EqualToPlainEmbed(int window)
    {
        List<string> texts = Texts(23);
        float[][] expected = s_embedder.Embed(texts);
        var got = new List<float[]>(s_embedder.EmbedStream(texts, window));
        Assert.That(got, Has.Count.EqualTo(texts.Count));
        for (int i = 0; i < texts.Count; i++)
            Assert.That(got[i], Is.EqualTo(expected[i]).Within(1e-6f), $"text {i} (window {window})");
    }

    [Test]
    public void AsyncSourceGivesTheSameVectors()
    {
        List<string> texts = Texts(10);
        float[][] expected = s_embedder.Embed(texts);
        var got = new List<float[]>();
        var task = Task.Run(async () => { await foreach (float[] v in s_embedder.EmbedStreamAsync(Source(texts), window: 4)) got.Add(v); });
        task.Wait();
        Assert.That(got, Has.Count.EqualTo(10));
        for (int i = 0; i < texts.Count; i++) Assert.That(got[i], Is.EqualTo(expected[i]).Within(1e-6f));

        static async IAsyncEnumerable<string> Source(List<string> texts)
        {
            foreach (string t in texts) { await Task.Yield(); yield return t; }
        }
    }

    [Test]
    public void ABadTextFailsNamingItsIndex_OrIsReportedWithContinueOnError()
    {
        List<string> texts = Texts(9);
        texts[6] = string.Join(" ", Enumerable.Repeat("dog", 200));   // longer than max_position_embeddings (96)
        Assert.That(() => new List<float[]>(s_embedder.EmbedStream(texts, window: 4)),
            Throws.TypeOf<BertInputException>().With.Message.StartsWith("text 6:"));

        var results = new List<StreamedEmbedding<string>>(
            new StreamingEmbedder(s_embedder, window: 4) { ContinueOnError = true }.Embed(texts, t => t));
        Assert.That(results, Has.Count.EqualTo(9));
        for (int i = 0; i < 9; i++)
        {
            Assert.That(results[i].Index, Is.EqualTo(i));
            Assert.That(results[i].Item, Is.SameAs(texts[i]));
            Assert.That(results[i].Vector is null, Is.EqualTo(i == 6), $"item {i}");
            Assert.That(results[i].Error is null, Is.EqualTo(i != 6), $"item {i}");
        }
    }

    [Test]
    public void ReadsLazily_OneWindowAtATime()
    {
        int read = 0;
        IEnumerable<string> Source() { foreach (string t in Texts(50)) { read++; yield return t; } }
        using IEnumerator<float[]> e = s_embedder.EmbedStream(Source(), window: 8).GetEnumerator();
        Assert.That(e.MoveNext(), Is.True);
        Assert.That(read, Is.EqualTo(8), "only the first window is read before the first vector");
    }

    [Test]
    public void CancellationIsNotAnItemError()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var streamer = new StreamingEmbedder(s_embedder) { ContinueOnError = true };
        Assert.That(() => new List<StreamedEmbedding<string>>(streamer.Embed(Texts(3), t => t, cts.Token)),
            Throws.InstanceOf<OperationCanceledException>());
    }
}
