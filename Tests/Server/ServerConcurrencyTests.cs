using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Server;

namespace BertSharp.Tests.Server;

/// <summary>
/// Batching never mixes rows: many concurrent mixed requests each get their single-request answer, and bad requests
/// among them get their 4xx without disturbing the others. Stopping lets in-flight requests finish.
/// </summary>
[TestFixture]
public sealed class ServerConcurrencyTests
{
    private TinyBertFolder _tiny = null!;
    private SentenceEmbedder _embedder = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        _tiny = new TinyBertFolder();
        _embedder = new SentenceEmbedder(BertModel.Load(_tiny.Directory));
    }

    [OneTimeTearDown]
    public void TearDown() => _tiny.Dispose();

    /// <summary>One request of the mix: its route and body, and the expected status and vectors (null for errors).</summary>
    private sealed record Case(string Path, string Body, int Status, float[][]? Expected);

    private List<Case> Mix(int count)
    {
        var random = new Random(12);
        string[] words = TinyBertFolder.Words.Where(w => !w.StartsWith("##", StringComparison.Ordinal)).ToArray();
        string Sentence() => string.Join(' ', Enumerable.Range(0, random.Next(1, 30)).Select(_ => words[random.Next(words.Length)]));
        var cases = new List<Case>(count);
        for (int i = 0; i < count; i++)
        {
            string[] texts = Enumerable.Range(0, random.Next(1, 6)).Select(_ => Sentence()).ToArray();
            switch (i % 10)
            {
                case 7:     // too long without truncate
                    cases.Add(new("/embed", JsonSerializer.Serialize(new { inputs = new[] { texts[0], string.Join(' ', Enumerable.Repeat("dog", 120)) } }), 422, null));
                    break;
                case 8:     // malformed JSON
                    cases.Add(new("/embed", "{\"inputs\": [\"" + texts[0], 400, null));
                    break;
                case 9:     // OpenAI route, some truncated to fewer dimensions
                    int? dims = i % 20 == 9 ? 16 : null;
                    cases.Add(new("/v1/embeddings", JsonSerializer.Serialize(new { input = texts, dimensions = dims }), 200,
                        _embedder.Embed(texts, new EmbedOptions { Normalize = true, Dimensions = dims })));
                    break;
                default:    // TEI /embed with a mix of options
                    bool normalize = i % 3 != 0;
                    int? d = i % 4 == 0 ? 24 : null;
                    cases.Add(new("/embed", JsonSerializer.Serialize(new { inputs = texts, normalize, dimensions = d }), 200,
                        _embedder.Embed(texts, new EmbedOptions { Normalize = normalize, Dimensions = d })));
                    break;
            }
        }
        return cases;
    }

    [Test]
    public async Task Two_hundred_mixed_requests_from_16_clients_each_get_their_single_request_answer()
    {
        List<Case> cases = Mix(200);
        await using var s = await RunningServer.StartAsync(_embedder, new ServerOptions { Model = "m", MaxBatchTokens = 2048, MaxBatchRequests = 16 });
        int next = -1;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        async Task Client()
        {
            for (int i; (i = Interlocked.Increment(ref next)) < cases.Count;)
            {
                Case c = cases[i];
                (int status, JsonElement body) = await s.PostJsonAsync(c.Path, c.Body);
                if (status != c.Status) { failures.Add($"request {i}: status {status}, expected {c.Status}: {body}"); continue; }
                if (c.Expected is null)
                {
                    if (!body.TryGetProperty("error_type", out _)) failures.Add($"request {i}: no TEI error body");
                    continue;
                }
                float[][] got = c.Path == "/embed"
                    ? RunningServer.Vectors(body)
                    : body.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
                if (got.Length != c.Expected.Length) { failures.Add($"request {i}: {got.Length} vectors, expected {c.Expected.Length}"); continue; }
                for (int r = 0; r < got.Length; r++)
                {
                    if (got[r].Length != c.Expected[r].Length) { failures.Add($"request {i} row {r}: length {got[r].Length}"); continue; }
                    for (int k = 0; k < got[r].Length; k++)
                        if (Math.Abs(got[r][k] - c.Expected[r][k]) > 1e-6f) { failures.Add($"request {i} row {r} [{k}]: {got[r][k]} vs {c.Expected[r][k]}"); break; }
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(Client)));
        Assert.That(failures, Is.Empty);
        Assert.That(cases.Count(c => c.Status != 200), Is.EqualTo(40), "the mix has bad requests");
        TestContext.Out.WriteLine($"batches run: {s.Server.Batcher.BatchesRun}, largest batch: {s.Server.Batcher.LargestBatch} requests");
    }

    [Test]
    public async Task Stopping_lets_an_in_flight_request_finish()
    {
        var s = await RunningServer.StartAsync(_embedder, paused: true);
        Task<(int, JsonElement)> inFlight = s.PostJsonAsync("/embed", """{"inputs": "the dog is eating"}""");
        for (int wait = 0; s.Server.Batcher.QueueLength < 1 && wait < 500; wait++) await Task.Delay(10);
        Task stopping = s.Server.StopAsync();
        await Task.Delay(100);
        Assert.That(stopping.IsCompleted, Is.False, "stop waits for the in-flight request");
        s.Server.Batcher.Resume();
        (int status, JsonElement body) = await inFlight;
        Assert.That(status, Is.EqualTo(200));
        RunningServer.AssertClose(_embedder.Embed(["the dog is eating"], new EmbedOptions { Normalize = true })[0], RunningServer.Vectors(body)[0], 1e-6f, "drained");
        await stopping;
        await s.DisposeAsync();
    }
}
