using System.Net;
using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Server;

namespace BertSharp.Tests.Server;

/// <summary>Each route and each error code of BertSharp.Server over raw HTTP, on a tiny random model (no shared data).</summary>
[TestFixture]
public sealed class ServerRouteTests
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

    [Test]
    public async Task Embed_string_and_list_equal_the_library()
    {
        await using var s = await RunningServer.StartAsync(_embedder);
        string[] texts = ["the dog is eating", "a man", "bank of the river"];
        var one = await s.PostJsonAsync("/embed", """{"inputs": "the dog is eating"}""");
        Assert.That(one.Status, Is.EqualTo(200));
        var list = await s.PostJsonAsync("/embed", JsonSerializer.Serialize(new { inputs = texts }));
        Assert.That(list.Status, Is.EqualTo(200));
        float[][] expected = _embedder.Embed(texts, new EmbedOptions { Normalize = true });
        float[][] got = RunningServer.Vectors(list.Body);
        Assert.That(got, Has.Length.EqualTo(3));
        for (int i = 0; i < 3; i++) RunningServer.AssertClose(expected[i], got[i], 1e-6f, $"text {i}");
        RunningServer.AssertClose(expected[0], RunningServer.Vectors(one.Body)[0], 1e-6f, "single string");
    }

    [Test]
    public async Task Embed_normalize_false_and_dimensions_use_the_library_options()
    {
        await using var s = await RunningServer.StartAsync(_embedder);
        var raw = await s.PostJsonAsync("/embed", """{"inputs": ["money in the bank"], "normalize": false}""");
        float[] expectedRaw = _embedder.Embed(["money in the bank"], new EmbedOptions { Normalize = false })[0];
        RunningServer.AssertClose(expectedRaw, RunningServer.Vectors(raw.Body)[0], 1e-6f, "normalize false");
        Assert.That(Math.Abs(System.Numerics.Tensors.TensorPrimitives.Norm(expectedRaw) - 1), Is.GreaterThan(1e-3), "the raw vector is not unit length (the test could fail)");

        var cut = await s.PostJsonAsync("/embed", """{"inputs": "money in the bank", "dimensions": 8}""");
        float[] expectedCut = _embedder.Embed(["money in the bank"], new EmbedOptions { Normalize = true, Dimensions = 8 })[0];
        Assert.That(expectedCut, Has.Length.EqualTo(8));
        RunningServer.AssertClose(expectedCut, RunningServer.Vectors(cut.Body)[0], 1e-6f, "dimensions 8");

        RunningServer.AssertError(await s.PostJsonAsync("/embed", """{"inputs": "a", "dimensions": 1000}"""), 422, "validation");
        RunningServer.AssertError(await s.PostJsonAsync("/embed", """{"inputs": "a", "prompt_name": "query"}"""), 422, "validation");
    }

    [Test]
    public async Task OpenAI_float_and_base64_with_usage_after_truncation()
    {
        await using var s = await RunningServer.StartAsync(_embedder, new ServerOptions { Model = "m", AutoTruncate = true, ServedModelName = "tiny" });
        string longText = string.Join(' ', Enumerable.Repeat("money", 200));
        var f = await s.PostJsonAsync("/v1/embeddings", JsonSerializer.Serialize(new { input = new[] { "the dog", longText } }));
        Assert.That(f.Status, Is.EqualTo(200), f.Body.ToString());
        Assert.That(f.Body.GetProperty("object").GetString(), Is.EqualTo("list"));
        Assert.That(f.Body.GetProperty("model").GetString(), Is.EqualTo("tiny"));
        JsonElement data = f.Body.GetProperty("data");
        Assert.That(data[1].GetProperty("object").GetString(), Is.EqualTo("embedding"));
        Assert.That(data[1].GetProperty("index").GetInt32(), Is.EqualTo(1));
        var counts = new int[2];
        float[][] expected = _embedder.EmbedCountingTokens(["the dog", longText], counts,
            new EmbedOptions { Normalize = true, LongInputs = new LongInputOptions { Policy = LongInputPolicy.Truncate } });
        Assert.That(counts[1], Is.EqualTo(_tiny.Config.MaxPositionEmbeddings), "the long text was cut to max_position_embeddings");
        for (int i = 0; i < 2; i++)
            RunningServer.AssertClose(expected[i], RunningServer.Vectors(JsonDocument.Parse($"[{data[i].GetProperty("embedding")}]").RootElement)[0], 1e-6f, $"float {i}");
        Assert.That(f.Body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), Is.EqualTo(counts[0] + counts[1]));
        Assert.That(f.Body.GetProperty("usage").GetProperty("total_tokens").GetInt32(), Is.EqualTo(counts[0] + counts[1]));

        var b = await s.PostJsonAsync("/v1/embeddings", """{"input": "the dog", "encoding_format": "base64", "model": "tiny"}""");
        byte[] bytes = Convert.FromBase64String(b.Body.GetProperty("data")[0].GetProperty("embedding").GetString()!);
        float[] decoded = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        RunningServer.AssertClose(expected[0], decoded, 0f, "base64");

        RunningServer.AssertError(await s.PostJsonAsync("/v1/embeddings", """{"input": "a", "encoding_format": "int8"}"""), 422, "validation");
        RunningServer.AssertError(await s.PostJsonAsync("/v1/embeddings", """{"input": [[1, 2, 999999]]}"""), 422, "validation");
    }

    [Test]
    public async Task Health_info_and_tokenize()
    {
        await using var s = await RunningServer.StartAsync(_embedder,
            new ServerOptions { Model = "m", ServedModelName = "tiny", MaxBatchTokens = 999, MaxClientBatchSize = 7 });
        using (HttpResponseMessage health = await s.Http.GetAsync("/health"))
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        JsonElement info = JsonDocument.Parse(await s.Http.GetStringAsync("/info")).RootElement;
        Assert.That(info.GetProperty("model_id").GetString(), Is.EqualTo("tiny"));
        Assert.That(info.GetProperty("max_input_length").GetInt32(), Is.EqualTo(_tiny.Config.MaxPositionEmbeddings));
        Assert.That(info.GetProperty("max_batch_tokens").GetInt32(), Is.EqualTo(999));
        Assert.That(info.GetProperty("max_client_batch_size").GetInt32(), Is.EqualTo(7));
        Assert.That(info.GetProperty("model_type").GetProperty("embedding").GetProperty("pooling").GetString(), Is.EqualTo("mean"));

        var tok = await s.PostJsonAsync("/tokenize", """{"inputs": ["the dogs"]}""");
        Assert.That(tok.Status, Is.EqualTo(200));
        JsonElement tokens = tok.Body[0];
        Assert.That(tokens.GetArrayLength(), Is.EqualTo(4), tokens.ToString());   // [CLS] the dogs [SEP]
        Assert.That(tokens[0].GetProperty("special").GetBoolean(), Is.True);
        Assert.That(tokens[1].GetProperty("text").GetString(), Is.EqualTo("the"));
        Assert.That(tokens[2].GetProperty("start").GetInt32(), Is.EqualTo(4));
        Assert.That(tokens[2].GetProperty("stop").GetInt32(), Is.EqualTo(8));
        var plain = await s.PostJsonAsync("/tokenize", """{"inputs": "the dogs", "add_special_tokens": false}""");
        Assert.That(plain.Body[0].GetArrayLength(), Is.EqualTo(2));
    }

    [Test]
    public async Task Bad_json_and_wrong_types_are_400()
    {
        await using var s = await RunningServer.StartAsync(_embedder);
        RunningServer.AssertError(await s.PostJsonAsync("/embed", """{"inputs": ["a"]"""), 400, "validation");
        RunningServer.AssertError(await s.PostJsonAsync("/embed", """{"inputs": 3}"""), 400, "validation");
        RunningServer.AssertError(await s.PostJsonAsync("/embed", """{"inputs": ["a", {"x": 1}]}"""), 400, "validation");
        RunningServer.AssertError(await s.PostJsonAsync("/embed", """{"inputs": "a", "normalize": "yes"}"""), 400, "validation");
        RunningServer.AssertError(await s.PostJsonAsync("/embed", """{"truncate": true}"""), 400, "validation");
        RunningServer.AssertError(await s.PostJsonAsync("/v1/embeddings", """[1, 2]"""), 400, "validation");
        RunningServer.AssertError(await s.PostJsonAsync("/embed", """{"inputs": []}"""), 400, "empty");      // TEI: ErrorType::Empty
    }

    [Test]
    public async Task Too_many_inputs_and_too_large_bodies_are_413()
    {
        await using var s = await RunningServer.StartAsync(_embedder, new ServerOptions { Model = "m", MaxClientBatchSize = 2, PayloadLimit = 1000 });
        string message = RunningServer.AssertError(await s.PostJsonAsync("/embed", """{"inputs": ["a", "b", "c"]}"""), 413, "validation");
        Assert.That(message, Does.Contain("3").And.Contain("2"));
        RunningServer.AssertError(await s.PostJsonAsync("/v1/embeddings", """{"input": ["a", "b", "c"]}"""), 413, "validation");
        string big = JsonSerializer.Serialize(new { inputs = new string('a', 5000) });
        RunningServer.AssertError(await s.PostJsonAsync("/embed", big), 413, "validation");
        Assert.That((await s.PostJsonAsync("/embed", """{"inputs": ["a", "b"]}""")).Status, Is.EqualTo(200), "the server still serves");
    }

    [Test]
    public async Task Long_input_without_truncate_is_422_naming_index_and_tokens()
    {
        await using var s = await RunningServer.StartAsync(_embedder);
        string longText = string.Join(' ', Enumerable.Repeat("dog", 150));             // 152 tokens > 96
        string message = RunningServer.AssertError(
            await s.PostJsonAsync("/embed", JsonSerializer.Serialize(new { inputs = new[] { "a", longText } })), 422, "validation");
        Assert.That(message, Does.Contain("input 1").And.Contain("152 tokens").And.Contain("96"));

        var cut = await s.PostJsonAsync("/embed", JsonSerializer.Serialize(new { inputs = longText, truncate = true }));
        Assert.That(cut.Status, Is.EqualTo(200));
        float[] expected = _embedder.Embed([longText], new EmbedOptions
        {
            Normalize = true, LongInputs = new LongInputOptions { Policy = LongInputPolicy.Truncate },
        })[0];
        RunningServer.AssertClose(expected, RunningServer.Vectors(cut.Body)[0], 1e-6f, "truncated");

        var right = await s.PostJsonAsync("/embed", """{"inputs": "a", "truncate": true, "truncation_direction": "Right"}""");
        Assert.That(right.Status, Is.EqualTo(200));
        string mixed = string.Join(' ', Enumerable.Repeat("money", 100).Concat(Enumerable.Repeat("dog", 100)));
        var left = await s.PostJsonAsync("/embed", JsonSerializer.Serialize(new { inputs = mixed, truncate = true, truncation_direction = "Left" }));
        Assert.That(left.Status, Is.EqualTo(200), left.Body.ToString());
        float[] expectedLeft = _embedder.Embed([mixed], new EmbedOptions
        {
            Normalize = true, LongInputs = new LongInputOptions { Policy = LongInputPolicy.Truncate, Direction = TruncationDirection.Left },
        })[0];
        RunningServer.AssertClose(expectedLeft, RunningServer.Vectors(left.Body)[0], 1e-6f, "left-truncated");
        float[] expectedRight = _embedder.Embed([mixed], new EmbedOptions { Normalize = true, LongInputs = new LongInputOptions { Policy = LongInputPolicy.Truncate } })[0];
        Assert.That(VectorMath.CosineSimilarity(expectedLeft, expectedRight), Is.LessThan(0.999f), "left and right truncation keep different tokens");
        string bad = RunningServer.AssertError(
            await s.PostJsonAsync("/embed", """{"inputs": "a", "truncate": true, "truncation_direction": "Middle"}"""), 422, "validation");
        Assert.That(bad, Does.Contain("truncation_direction"));
    }

    [Test]
    public async Task Api_key_is_required_except_for_health_metrics_and_the_page()
    {
        await using var s = await RunningServer.StartAsync(_embedder, new ServerOptions { Model = "m", ApiKey = "secret" });
        Assert.That((await s.PostJsonAsync("/embed", """{"inputs": "a"}""")).Status, Is.EqualTo(200), "with the key");
        using var anonymous = new HttpClient { BaseAddress = s.Address };
        using (HttpResponseMessage r = await anonymous.PostAsync("/embed", new StringContent("""{"inputs": "a"}""", System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            string raw = await r.Content.ReadAsStringAsync();
            Assert.That(JsonDocument.Parse(raw).RootElement.GetProperty("error_type").GetString(), Is.EqualTo("unauthorized"));
            Assert.That(raw, Does.Contain("\\\"Authorization: Bearer KEY\\\""), "quotes escaped as JSON requires, not as \\u0022");
        }
        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", "wrong");
        using (HttpResponseMessage r = await anonymous.GetAsync("/info"))
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        using (HttpResponseMessage r = await anonymous.GetAsync("/health"))
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using (HttpResponseMessage r = await anonymous.GetAsync("/"))
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the teaching page opens without the key (its calls carry it)");
        using (HttpResponseMessage r = await anonymous.PostAsync("/", new StringContent("{}")))
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "only GET / is open");
        using (HttpResponseMessage r = await anonymous.PostAsync("/attention", new StringContent("""{"text": "a"}""", System.Text.Encoding.UTF8, "application/json")))
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the page's routes stay behind the key");
    }

    [Test]
    public async Task Full_queue_is_429_and_queued_requests_then_complete_batched()
    {
        await using var s = await RunningServer.StartAsync(_embedder, new ServerOptions { Model = "m", MaxConcurrentRequests = 3 }, paused: true);
        string[] texts = ["the dog", "a river bank", "money"];
        var pending = new Task<(int, JsonElement)>[3];
        for (int i = 0; i < 3; i++) pending[i] = s.PostJsonAsync("/embed", JsonSerializer.Serialize(new { inputs = texts[i] }));
        for (int wait = 0; s.Server.Batcher.QueueLength < 3 && wait < 500; wait++) await Task.Delay(10);
        Assert.That(s.Server.Batcher.QueueLength, Is.EqualTo(3));

        string message = RunningServer.AssertError(await s.PostJsonAsync("/embed", """{"inputs": "one too many"}"""), 429, "overloaded");
        Assert.That(message, Does.Contain("--max-concurrent-requests"));

        s.Server.Batcher.Resume();
        float[][] expected = _embedder.Embed(texts, new EmbedOptions { Normalize = true });
        for (int i = 0; i < 3; i++)
        {
            (int status, JsonElement body) = await pending[i];
            Assert.That(status, Is.EqualTo(200));
            RunningServer.AssertClose(expected[i], RunningServer.Vectors(body)[0], 1e-6f, $"queued request {i}");
        }
        Assert.That(s.Server.Batcher.LargestBatch, Is.EqualTo(3), "the three queued requests ran as one batch");
    }

    [Test]
    public async Task A_request_whose_client_left_is_dropped_from_the_queue()
    {
        await using var s = await RunningServer.StartAsync(_embedder, paused: true);
        using var cancel = new CancellationTokenSource();
        Task<HttpResponseMessage> abandoned = s.PostAsync("/embed", """{"inputs": "the dog"}""", cancel.Token);
        for (int wait = 0; s.Server.Batcher.QueueLength < 1 && wait < 500; wait++) await Task.Delay(10);
        Assert.That(s.Server.Batcher.QueueLength, Is.EqualTo(1));
        cancel.Cancel();
        Assert.That(async () => await abandoned, Throws.InstanceOf<OperationCanceledException>());
        await Task.Delay(300);                                   // Kestrel notices the closed connection
        s.Server.Batcher.Resume();
        for (int wait = 0; s.Server.Batcher.Dropped < 1 && wait < 500; wait++) await Task.Delay(10);
        Assert.That(s.Server.Batcher.Dropped, Is.EqualTo(1));
        Assert.That(s.Server.Batcher.BatchesRun, Is.EqualTo(0), "the dropped request never ran");
        Assert.That((await s.PostJsonAsync("/embed", """{"inputs": "a"}""")).Status, Is.EqualTo(200));
    }

    [Test]
    public void A_missing_model_fails_at_startup_naming_it()
    {
        var e = Assert.Catch(() => BertServer.Create(new ServerOptions { Model = "/nonexistent/model-folder", Port = 0 }));
        Assert.That(e!.Message, Does.Contain("/nonexistent/model-folder"));
    }
}
