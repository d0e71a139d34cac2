using System.Collections.Concurrent;
using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Engine.Model.Heads;
using BertSharp.Server;
using F = BertSharp.Tests.SentenceTransformers.SentenceTransformersFixtures;

namespace BertSharp.Tests.Server;

/// <summary>
/// 1,000 mixed requests from 32 concurrent clients over every model route of a one-label cross-encoder checkpoint
/// (/embed text and ids, /v1/embeddings, /embed_all, /predict, /rerank, /decode, /tokenize) and bad requests (400, 413,
/// 422, 424): each answer equals the same request's answer when sent alone (numbers ≤ 1e-6, everything else exactly),
/// and /embed rows equal the library's; batching never mixes rows and the bad requests disturb nothing.
/// </summary>
[TestFixture]
public sealed class ServerMixedConcurrencyTests
{
    private string _dir = null!;
    private ServedModel _model = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        _dir = F.Checkpoint("BertForSequenceClassification", numLabels: 1);
        var head = BertHeads.Load(_dir);
        _model = new ServedModel(new SentenceEmbedder(head.Bert), head);
    }

    [OneTimeTearDown]
    public void TearDown() => F.Delete(_dir);

    private sealed record Case(string Path, string Body, int Status, float[][]? Library = null);

    private List<Case> Mix(int count)
    {
        var random = new Random(1000);
        string[] words = F.Words.Where(w => !w.StartsWith('[') && !w.StartsWith("##", StringComparison.Ordinal)).ToArray();
        string Sentence() => string.Join(' ', Enumerable.Range(0, random.Next(1, 25)).Select(_ => words[random.Next(words.Length)]));
        var tokenizer = _model.Embedder.Model.Tokenizer!;
        string tooLong = string.Join(' ', Enumerable.Repeat("cat", 80));
        var cases = new List<Case>(count);
        for (int i = 0; i < count; i++)
        {
            string[] texts = Enumerable.Range(0, random.Next(1, 5)).Select(_ => Sentence()).ToArray();
            cases.Add((i % 20) switch
            {
                0 or 1 or 2 or 3 => new Case("/embed", JsonSerializer.Serialize(new { inputs = texts, normalize = i % 2 == 0, dimensions = i % 4 == 0 ? (int?)16 : null }), 200,
                    _model.Embedder.Embed(texts, new EmbedOptions { Normalize = i % 2 == 0, Dimensions = i % 4 == 0 ? 16 : null })),
                4 => new Case("/embed", JsonSerializer.Serialize(new { inputs = texts.Select(t => tokenizer.Encode(t).Ids).ToArray() }), 200,
                    _model.Embedder.Embed(texts, new EmbedOptions { Normalize = true })),
                5 or 6 => new Case("/v1/embeddings", JsonSerializer.Serialize(new { input = texts, dimensions = i % 40 == 5 ? (int?)8 : null }), 200),
                7 => new Case("/v1/embeddings", JsonSerializer.Serialize(new { input = texts.Select(t => tokenizer.Encode(t).Ids).ToArray(), encoding_format = "base64" }), 200),
                8 => new Case("/embed_all", JsonSerializer.Serialize(new { inputs = texts, layer = i % 3 - 1 }), 200),
                9 => new Case("/predict", JsonSerializer.Serialize(new { inputs = texts.Select(t => new[] { texts[0], t }).ToArray(), raw_scores = i % 3 == 0 }), 200),
                10 => new Case("/rerank", JsonSerializer.Serialize(new { query = texts[0], texts, return_text = true }), 200),
                11 => new Case("/decode", JsonSerializer.Serialize(new { ids = texts.Select(t => tokenizer.Encode(t).Ids).ToArray() }), 200),
                12 => new Case("/tokenize", JsonSerializer.Serialize(new { inputs = texts }), 200),
                13 => new Case("/embed", JsonSerializer.Serialize(new { inputs = new[] { texts[0], tooLong } }), 422),
                14 => new Case("/embed", "{\"inputs\": [\"" + texts[0], 400),
                15 => new Case("/rerank", JsonSerializer.Serialize(new { query = "a", texts = Enumerable.Repeat("b", 40).ToArray() }), 413),
                16 => new Case("/fill_mask", """{"inputs": "a [MASK]"}""", 424),
                17 => new Case("/embed", JsonSerializer.Serialize(new { inputs = texts, truncate = true, truncation_direction = "Left" }), 200,
                    _model.Embedder.Embed(texts, new EmbedOptions { Normalize = true })),
                18 => new Case("/predict", JsonSerializer.Serialize(new { inputs = tooLong }), 422),
                _ => new Case("/embed", JsonSerializer.Serialize(new { inputs = texts[0] }), 200, _model.Embedder.Embed([texts[0]], new EmbedOptions { Normalize = true })),
            });
        }
        return cases;
    }

    /// <summary>null when equal: same structure and strings, numbers within 1e-6.</summary>
    private static string? Difference(JsonElement expected, JsonElement actual, string path = "$")
    {
        if (expected.ValueKind != actual.ValueKind) return $"{path}: {actual.ValueKind}, expected {expected.ValueKind}";
        switch (expected.ValueKind)
        {
            case JsonValueKind.Array:
                if (expected.GetArrayLength() != actual.GetArrayLength()) return $"{path}: length {actual.GetArrayLength()}, expected {expected.GetArrayLength()}";
                for (int i = 0; i < expected.GetArrayLength(); i++)
                    if (Difference(expected[i], actual[i], $"{path}[{i}]") is string d) return d;
                return null;
            case JsonValueKind.Object:
                foreach (JsonProperty p in expected.EnumerateObject())
                {
                    if (!actual.TryGetProperty(p.Name, out JsonElement a)) return $"{path}.{p.Name} missing";
                    if (p.Name == "embedding" && p.Value.ValueKind == JsonValueKind.String)
                    {
                        float[] e = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(p.Value.GetString()!)).ToArray();
                        float[] g = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(a.GetString()!)).ToArray();
                        if (e.Length != g.Length || e.Zip(g).Any(x => Math.Abs(x.First - x.Second) > 1e-6f)) return $"{path}.embedding (base64) differs";
                        continue;
                    }
                    if (Difference(p.Value, a, $"{path}.{p.Name}") is string d) return d;
                }
                return expected.EnumerateObject().Count() == actual.EnumerateObject().Count() ? null : $"{path}: other properties";
            case JsonValueKind.Number:
                return Math.Abs(expected.GetDouble() - actual.GetDouble()) <= 1e-6 ? null : $"{path}: {actual.GetDouble()} vs {expected.GetDouble()}";
            default:
                return expected.ToString() == actual.ToString() ? null : $"{path}: {actual} vs {expected}";
        }
    }

    [Test]
    public async Task A_thousand_mixed_requests_from_32_clients_each_equal_their_single_request_answer()
    {
        List<Case> cases = Mix(1000);
        await using var s = await RunningServer.StartAsync(_model, new ServerOptions { Model = "m", MaxBatchTokens = 2048, MaxBatchRequests = 16 });
        var alone = new JsonElement[cases.Count];
        for (int i = 0; i < cases.Count; i++)
        {
            (int status, JsonElement body) = await s.PostJsonAsync(cases[i].Path, cases[i].Body);
            Assert.That(status, Is.EqualTo(cases[i].Status), $"request {i} alone ({cases[i].Path}): {body}");
            if (status != 200) Assert.That(body.TryGetProperty("error_type", out _), Is.True, $"request {i}: TEI error body");
            if (cases[i].Library is float[][] library)
            {
                float[][] got = RunningServer.Vectors(body);
                for (int r = 0; r < library.Length; r++) RunningServer.AssertClose(library[r], got[r], 1e-6f, $"request {i} row {r} vs the library");
            }
            alone[i] = body;
        }
        long batchesAlone = s.Server.Batcher.BatchesRun;

        int next = -1;
        var failures = new ConcurrentBag<string>();
        async Task Client()
        {
            for (int i; (i = Interlocked.Increment(ref next)) < cases.Count;)
            {
                (int status, JsonElement body) = await s.PostJsonAsync(cases[i].Path, cases[i].Body);
                if (status != cases[i].Status) failures.Add($"request {i} ({cases[i].Path}): status {status}, expected {cases[i].Status}: {body}");
                else if (Difference(alone[i], body) is string d) failures.Add($"request {i} ({cases[i].Path}): {d}");
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(Client)));
        Assert.That(failures, Is.Empty);
        Assert.That(cases.Count(c => c.Status != 200), Is.EqualTo(250), "the mix has 250 bad requests (400, 413, 422, 424)");
        long batchesMixed = s.Server.Batcher.BatchesRun - batchesAlone;
        TestContext.Out.WriteLine($"forward passes: {batchesAlone} alone, {batchesMixed} under 32 clients; largest batch {s.Server.Batcher.LargestBatch} requests");
        Assert.That(s.Server.Batcher.LargestBatch, Is.GreaterThan(1), "concurrent requests shared forward passes");
    }
}
