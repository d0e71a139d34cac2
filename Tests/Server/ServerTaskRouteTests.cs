using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Engine.Model.Heads;
using BertSharp.Engine.SentenceTransformers;
using BertSharp.Engine.Tasks;
using BertSharp.Server;
using F = BertSharp.Tests.SentenceTransformers.SentenceTransformersFixtures;

namespace BertSharp.Tests.Server;

/// <summary>
/// The routes beyond /embed over raw HTTP, each against the library API it calls (≤ 1e-6), on tiny random checkpoints
/// made in the test: token-id inputs, /embed_all (+ layers), /predict, /rerank (a one-label cross-encoder: scores equal
/// CrossEncoder's and the classify pipeline's), /embed_sparse, /decode, /token_classification, /question_answering,
/// /fill_mask; and every 4xx, including 424 from a route the loaded checkpoint cannot serve.
/// </summary>
[TestFixture]
public sealed class ServerTaskRouteTests
{
    private readonly List<string> _dirs = [];
    private TinyBertFolder _tiny = null!;
    private SentenceEmbedder _embedder = null!;
    private const string Query = "who wrote the book?";
    private static readonly string[] Docs = ["the cat sat on the mat.", "a man wrote a book", "rain falls mainly on the plain", "paris is the capital of france"];

    [OneTimeSetUp]
    public void SetUp()
    {
        _tiny = new TinyBertFolder();
        _embedder = new SentenceEmbedder(BertModel.Load(_tiny.Directory));
    }

    [OneTimeTearDown]
    public void TearDown()
    {
        _tiny.Dispose();
        foreach (string d in _dirs) F.Delete(d);
    }

    /// <summary>A served model from a fixture checkpoint of <paramref name="architecture"/> (config.json names the head).</summary>
    private ServedModel Served(string architecture, int numLabels = 1, string extraConfig = "")
    {
        string dir = F.Checkpoint(architecture, numLabels, extraConfig: extraConfig);
        _dirs.Add(dir);
        var head = BertHeads.Load(dir);
        return new ServedModel(new SentenceEmbedder(head.Bert), head);
    }

    private static float[] Floats(JsonElement list) => list.EnumerateArray().Select(x => x.GetSingle()).ToArray();

    [Test]
    public async Task Token_id_inputs_on_embed_and_v1_embeddings_equal_the_library()
    {
        await using var s = await RunningServer.StartAsync(_embedder);
        var tokenizer = _embedder.Model.Tokenizer!;
        int[] ids = tokenizer.Encode("the dog is eating").Ids;
        float[] expected = _embedder.Embed([_embedder.FromIds(ids)], new EmbedOptions { Normalize = true })[0];
        RunningServer.AssertClose(_embedder.Embed(["the dog is eating"], new EmbedOptions { Normalize = true })[0], expected, 1e-6f, "ids with specials = the text");

        var one = await s.PostJsonAsync("/embed", JsonSerializer.Serialize(new { inputs = ids }));
        Assert.That(one.Status, Is.EqualTo(200), one.Body.ToString());
        RunningServer.AssertClose(expected, RunningServer.Vectors(one.Body)[0], 1e-6f, "TEI single id list");
        var mixed = await s.PostJsonAsync("/embed", JsonSerializer.Serialize(new object[] { "a man", ids }.Let(x => new { inputs = x })));
        Assert.That(mixed.Status, Is.EqualTo(200), mixed.Body.ToString());
        float[][] got = RunningServer.Vectors(mixed.Body);
        RunningServer.AssertClose(_embedder.Embed(["a man"], new EmbedOptions { Normalize = true })[0], got[0], 1e-6f, "text in a mixed batch");
        RunningServer.AssertClose(expected, got[1], 1e-6f, "ids in a mixed batch");

        int[] plain = tokenizer.Encode("a man", null, new BertSharp.Tokenization.EncodeOptions { AddSpecialTokens = false }).Ids;
        var openai = await s.PostJsonAsync("/v1/embeddings", JsonSerializer.Serialize(new { input = new[] { ids, plain } }));
        Assert.That(openai.Status, Is.EqualTo(200), openai.Body.ToString());
        JsonElement data = openai.Body.GetProperty("data");
        RunningServer.AssertClose(expected, Floats(data[0].GetProperty("embedding")), 1e-6f, "OpenAI id list 0");
        RunningServer.AssertClose(_embedder.Embed([_embedder.FromIds(plain)], new EmbedOptions { Normalize = true })[0],
            Floats(data[1].GetProperty("embedding")), 1e-6f, "OpenAI ids run as given (no specials added)");
        Assert.That(openai.Body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), Is.EqualTo(ids.Length + plain.Length));
        var single = await s.PostJsonAsync("/v1/embeddings", JsonSerializer.Serialize(new { input = ids }));
        Assert.That(single.Body.GetProperty("data").GetArrayLength(), Is.EqualTo(1), "a single id list is one input");

        string bad = RunningServer.AssertError(await s.PostJsonAsync("/embed", """{"inputs": [[2, 5, 999999, 3]]}"""), 422, "validation");
        Assert.That(bad, Does.Contain("input 0").And.Contain("999999"));
        RunningServer.AssertError(await s.PostJsonAsync("/embed", """{"inputs": [[2, -1, 3]]}"""), 400, "validation");
        RunningServer.AssertError(await s.PostJsonAsync("/embed", """{"inputs": [[2, "x", 3]]}"""), 400, "validation");
        string longIds = JsonSerializer.Serialize(new { inputs = new[] { Enumerable.Repeat(ids[1], 200).ToArray() } });
        Assert.That(RunningServer.AssertError(await s.PostJsonAsync("/embed", longIds), 422, "validation"), Does.Contain("200 tokens"));
        var cut = await s.PostJsonAsync("/embed", longIds.Replace("]]}", "]], \"truncate\": true}", StringComparison.Ordinal));
        Assert.That(cut.Status, Is.EqualTo(200), cut.Body.ToString());
    }

    [Test]
    public async Task Embed_all_returns_token_vectors_of_any_layer()
    {
        await using var s = await RunningServer.StartAsync(_embedder);
        string[] texts = ["the dog is eating", "a man"];
        ModelOutput o = _embedder.Model.Run(texts, null, new RunOptions { OutputHiddenStates = true });
        int h = o.HiddenSize, layers = _tiny.Config.NumHiddenLayers;
        void AssertTokens(JsonElement body, float[] tensor, string what)
        {
            for (int b = 0; b < texts.Length; b++)
            {
                int n = o.Batch.Encodings![b].Ids.Length;
                Assert.That(body[b].GetArrayLength(), Is.EqualTo(n), $"{what}: tokens of input {b}");
                for (int t = 0; t < n; t++)
                    RunningServer.AssertClose(tensor.AsSpan((b * o.SequenceLength + t) * h, h).ToArray(), Floats(body[b][t]), 1e-6f, $"{what} [{b},{t}]");
            }
        }
        var last = await s.PostJsonAsync("/embed_all", JsonSerializer.Serialize(new { inputs = texts }));
        Assert.That(last.Status, Is.EqualTo(200), last.Body.ToString());
        AssertTokens(last.Body, o.LastHiddenState, "last layer");
        var first = await s.PostJsonAsync("/embed_all", JsonSerializer.Serialize(new { inputs = texts, layer = 0 }));
        AssertTokens(first.Body, o.HiddenStates![0], "layer 0 (embedding output)");
        var minus2 = await s.PostJsonAsync("/embed_all", JsonSerializer.Serialize(new { inputs = texts, layer = -2 }));
        AssertTokens(minus2.Body, o.HiddenStates![layers - 1], "layer -2");
        var all = await s.PostJsonAsync("/embed_all", JsonSerializer.Serialize(new { inputs = texts, output_hidden_states = true }));
        Assert.That(all.Body[0].GetArrayLength(), Is.EqualTo(layers + 1));
        for (int k = 0; k <= layers; k++)
            AssertTokens(JsonDocument.Parse($"[{all.Body[0][k]}, {all.Body[1][k]}]").RootElement, o.HiddenStates![k], $"hidden_states[{k}]");

        Assert.That(RunningServer.AssertError(await s.PostJsonAsync("/embed_all", """{"inputs": "a", "layer": 7}"""), 422, "validation"), Does.Contain("layer 7"));
        RunningServer.AssertError(await s.PostJsonAsync("/embed_all", """{"inputs": "a", "layer": 1, "output_hidden_states": true}"""), 422, "validation");
        RunningServer.AssertError(await s.PostJsonAsync("/embed_all", """{"inputs": []}"""), 400, "empty");
        string longText = string.Join(' ', Enumerable.Repeat("dog", 150));
        RunningServer.AssertError(await s.PostJsonAsync("/embed_all", JsonSerializer.Serialize(new { inputs = longText })), 422, "validation");
        var cut = await s.PostJsonAsync("/embed_all", JsonSerializer.Serialize(new { inputs = longText, truncate = true, truncation_direction = "Left" }));
        Assert.That(cut.Body[0].GetArrayLength(), Is.EqualTo(_tiny.Config.MaxPositionEmbeddings));
    }

    [Test]
    public async Task Predict_single_pair_and_batch_equal_the_classifier()
    {
        ServedModel served = Served("BertForSequenceClassification", numLabels: 3);
        var head = (BertForSequenceClassification)served.Head!;
        await using var s = await RunningServer.StartAsync(served);
        var pipeline = new TextClassificationPipeline(head);
        void AssertPredictions(JsonElement list, ClassificationResult expected, string what)
        {
            Assert.That(list.GetArrayLength(), Is.EqualTo(3), what);
            float previous = float.PositiveInfinity;
            foreach (JsonElement p in list.EnumerateArray())
            {
                string label = p.GetProperty("label").GetString()!;
                float score = p.GetProperty("score").GetSingle();
                Assert.That(score, Is.EqualTo(expected.Scores.Single(x => x.Label == label).Score).Within(1e-6f), $"{what} {label}");
                Assert.That(score, Is.LessThanOrEqualTo(previous), $"{what}: sorted by score, descending");
                previous = score;
            }
            Assert.That(list[0].GetProperty("label").GetString(), Is.EqualTo(expected.Label));
        }
        JsonElement info = JsonDocument.Parse(await s.Http.GetStringAsync("/info")).RootElement.GetProperty("model_type");
        Assert.That(info.GetProperty("classifier").GetProperty("id2label").GetProperty("2").GetString(), Is.EqualTo("L2"), "TEI's model_type for a classifier");
        Assert.That(info.GetProperty("classifier").GetProperty("label2id").GetProperty("L1").GetInt32(), Is.EqualTo(1));
        Assert.That(info.TryGetProperty("embedding", out _), Is.False);
        var single = await s.PostJsonAsync("/predict", """{"inputs": "the cat sat on the mat."}""");
        Assert.That(single.Status, Is.EqualTo(200), single.Body.ToString());
        AssertPredictions(single.Body, pipeline.Classify("the cat sat on the mat."), "single");
        var pair = await s.PostJsonAsync("/predict", JsonSerializer.Serialize(new { inputs = new[] { Query, Docs[1] } }));
        AssertPredictions(pair.Body, pipeline.Classify(Query, Docs[1]), "pair");
        var batch = await s.PostJsonAsync("/predict", JsonSerializer.Serialize(new { inputs = new[] { new[] { Docs[0] }, new[] { Query, Docs[2] } } }));
        Assert.That(batch.Body.GetArrayLength(), Is.EqualTo(2));
        AssertPredictions(batch.Body[0], pipeline.Classify(Docs[0]), "batch 0");
        AssertPredictions(batch.Body[1], pipeline.Classify(Query, Docs[2]), "batch 1");

        var raw = await s.PostJsonAsync("/predict", JsonSerializer.Serialize(new { inputs = new[] { Query, Docs[1] }, raw_scores = true }));
        float[] logits = served.CrossEncoder!.Predict([(Query, Docs[1])], TorchActivation.Identity)[0];
        foreach (JsonElement p in raw.Body.EnumerateArray())
            Assert.That(p.GetProperty("score").GetSingle(), Is.EqualTo(logits[head.Labels.ToList().IndexOf(p.GetProperty("label").GetString()!)]).Within(1e-6f), "raw_scores = logits");

        string longText = string.Join(' ', Enumerable.Repeat("cat", 100));
        Assert.That(RunningServer.AssertError(await s.PostJsonAsync("/predict", JsonSerializer.Serialize(new { inputs = longText })), 422, "validation"),
            Does.Contain("input 0 has 102 tokens"));
        var cut = await s.PostJsonAsync("/predict", JsonSerializer.Serialize(new { inputs = longText, truncate = true, truncation_direction = "left" }));
        Assert.That(cut.Status, Is.EqualTo(200), cut.Body.ToString());
        var pairLeft = await s.PostJsonAsync("/predict", JsonSerializer.Serialize(new { inputs = new[] { longText, Docs[1] }, truncate = true, truncation_direction = "Left", raw_scores = true }));
        var leftCut = head.Bert.Tokenizer!.Encode(longText, Docs[1], new BertSharp.Tokenization.EncodeOptions
        {
            MaxLength = 64, Truncation = BertSharp.Tokenization.TruncationStrategy.LongestFirst, TruncationSide = BertSharp.Tokenization.TruncationSide.Left,
        });
        float[] leftLogits = head.Run(BertBatch.FromEncodings([leftCut])).Logits;
        foreach (JsonElement p in pairLeft.Body.EnumerateArray())
            Assert.That(p.GetProperty("score").GetSingle(), Is.EqualTo(leftLogits[head.Labels.ToList().IndexOf(p.GetProperty("label").GetString()!)]).Within(1e-6f), "a pair cut longest-first from the left");
        RunningServer.AssertError(await s.PostJsonAsync("/predict", """{"inputs": ["a", "b", "c"]}"""), 400, "validation");
        RunningServer.AssertError(await s.PostJsonAsync("/predict", """{"inputs": [["a", "b", "c"]]}"""), 400, "validation");
        RunningServer.AssertError(await s.PostJsonAsync("/predict", """{"inputs": []}"""), 400, "empty");
        Assert.That(RunningServer.AssertError(await s.PostJsonAsync("/rerank", JsonSerializer.Serialize(new { query = Query, texts = Docs })), 424, "backend"),
            Does.Contain("3 labels"), "a three-label classifier is not a reranker");
    }

    [Test]
    public async Task Rerank_equals_the_cross_encoder_and_the_classify_pipeline()
    {
        ServedModel served = Served("BertForSequenceClassification", numLabels: 1);
        await using var s = await RunningServer.StartAsync(served);
        CrossEncoder ce = served.CrossEncoder!;
        IReadOnlyList<RerankResult> expected = ce.Rerank(Query, Docs);
        JsonElement info = JsonDocument.Parse(await s.Http.GetStringAsync("/info")).RootElement.GetProperty("model_type");
        Assert.That(info.GetProperty("reranker").GetProperty("id2label").GetProperty("0").GetString(), Is.EqualTo("L0"), "TEI's model_type for a reranker");
        var r = await s.PostJsonAsync("/rerank", JsonSerializer.Serialize(new { query = Query, texts = Docs }));
        Assert.That(r.Status, Is.EqualTo(200), r.Body.ToString());
        Assert.That(r.Body.GetArrayLength(), Is.EqualTo(Docs.Length));
        var classify = new TextClassificationPipeline((BertForSequenceClassification)served.Head!);
        for (int k = 0; k < Docs.Length; k++)
        {
            JsonElement rank = r.Body[k];
            int index = rank.GetProperty("index").GetInt32();
            Assert.That(index, Is.EqualTo(expected[k].Index), $"rank {k}");
            Assert.That(rank.GetProperty("score").GetSingle(), Is.EqualTo(expected[k].Score).Within(1e-6f));
            Assert.That(rank.GetProperty("score").GetSingle(), Is.EqualTo(classify.Classify(Query, Docs[index]).Score).Within(1e-6f), "the classify pipeline's score");
            Assert.That(rank.TryGetProperty("text", out _), Is.False, "no text without return_text");
        }
        Assert.That(expected.Select(x => x.Score).Distinct().Count(), Is.EqualTo(Docs.Length), "the fixture separates the documents");

        var raw = await s.PostJsonAsync("/rerank", JsonSerializer.Serialize(new { query = Query, texts = Docs, raw_scores = true, return_text = true }));
        float[] logits = ce.Score(Query, Docs, TorchActivation.Identity);
        foreach (JsonElement rank in raw.Body.EnumerateArray())
        {
            int index = rank.GetProperty("index").GetInt32();
            Assert.That(rank.GetProperty("score").GetSingle(), Is.EqualTo(logits[index]).Within(1e-6f), "raw_scores");
            Assert.That(rank.GetProperty("text").GetString(), Is.EqualTo(Docs[index]));
        }
        RunningServer.AssertError(await s.PostJsonAsync("/rerank", JsonSerializer.Serialize(new { query = Query, texts = Array.Empty<string>() })), 400, "empty");
        RunningServer.AssertError(await s.PostJsonAsync("/rerank", """{"texts": ["a"]}"""), 400, "validation");
        RunningServer.AssertError(await s.PostJsonAsync("/rerank", """{"query": "a", "texts": "b"}"""), 400, "validation");
        string longText = string.Join(' ', Enumerable.Repeat("cat", 100));
        RunningServer.AssertError(await s.PostJsonAsync("/rerank", JsonSerializer.Serialize(new { query = Query, texts = new[] { longText }, truncate = false })), 422, "validation");
        Assert.That((await s.PostJsonAsync("/rerank", JsonSerializer.Serialize(new { query = Query, texts = new[] { longText }, truncate = true }))).Status, Is.EqualTo(200));
        RunningServer.AssertError(await s.PostJsonAsync("/rerank", JsonSerializer.Serialize(new { query = Query, texts = Docs, truncation_direction = "Left" })), 422, "validation");
        var tooMany = await s.PostJsonAsync("/rerank", JsonSerializer.Serialize(new { query = Query, texts = Enumerable.Repeat("a", 33).ToArray() }));
        RunningServer.AssertError(tooMany, 413, "validation");
    }

    [Test]
    public async Task Embed_sparse_equals_the_SPLADE_encoder_in_index_order()
    {
        ServedModel served = Served("BertForMaskedLM");
        await using var s = await RunningServer.StartAsync(served);
        string[] texts = ["the cat sat on the mat.", "music plays loud at night"];
        SparseVector[] expected = served.Sparse!.Encode(texts);
        var r = await s.PostJsonAsync("/embed_sparse", JsonSerializer.Serialize(new { inputs = texts }));
        Assert.That(r.Status, Is.EqualTo(200), r.Body.ToString());
        for (int i = 0; i < texts.Length; i++)
        {
            JsonElement values = r.Body[i];
            Assert.That(values.GetArrayLength(), Is.EqualTo(expected[i].Count));
            float[] dense = expected[i].ToDense();
            int previous = -1;
            foreach (JsonElement v in values.EnumerateArray())
            {
                int index = v.GetProperty("index").GetInt32();
                Assert.That(index, Is.GreaterThan(previous), "index order");
                Assert.That(v.GetProperty("value").GetSingle(), Is.EqualTo(dense[index]).Within(1e-6f));
                previous = index;
            }
        }
        RunningServer.AssertError(await s.PostJsonAsync("/embed_sparse", """{"inputs": [[2, 10, 3]]}"""), 422, "validation");
        RunningServer.AssertError(await s.PostJsonAsync("/embed_sparse", """{"inputs": "a", "prompt_name": "query"}"""), 422, "validation");
        RunningServer.AssertError(await s.PostJsonAsync("/embed_sparse", """{"inputs": "a", "truncation_direction": "Left"}"""), 422, "validation");

        // The same checkpoint fills masks (the library's FillMaskPipeline).
        FillMaskResult fill = served.FillMask!.Predict("the cat [MASK] on the mat.", null, 3);
        var f = await s.PostJsonAsync("/fill_mask", """{"inputs": "the cat [MASK] on the mat.", "top_k": 3}""");
        Assert.That(f.Status, Is.EqualTo(200), f.Body.ToString());
        Assert.That(f.Body.GetProperty("sequence").GetString(), Is.EqualTo(fill.Sequence));
        JsonElement mask = f.Body.GetProperty("masks")[0];
        Assert.That(mask.GetProperty("position").GetInt32(), Is.EqualTo(fill.Masks[0].Position));
        for (int k = 0; k < 3; k++)
        {
            JsonElement p = mask.GetProperty("predictions")[k];
            Assert.That(p.GetProperty("token").GetInt32(), Is.EqualTo(fill.Masks[0].Predictions[k].Id));
            Assert.That(p.GetProperty("token_str").GetString(), Is.EqualTo(fill.Masks[0].Predictions[k].Token));
            Assert.That(p.GetProperty("score").GetSingle(), Is.EqualTo(fill.Masks[0].Predictions[k].Score).Within(1e-6f));
        }
        var fb = await s.PostJsonAsync("/fill_mask", """{"inputs": ["[MASK] plays", "a [MASK] [MASK]"]}""");
        Assert.That(fb.Body.GetArrayLength(), Is.EqualTo(2));
        Assert.That(fb.Body[1].GetProperty("masks").GetArrayLength(), Is.EqualTo(2));
        Assert.That(fb.Body[0].GetProperty("masks")[0].GetProperty("predictions").GetArrayLength(), Is.EqualTo(5), "top_k defaults to 5");
        Assert.That(RunningServer.AssertError(await s.PostJsonAsync("/fill_mask", """{"inputs": "no mask here"}"""), 422, "validation"), Does.Contain("mask"));
        RunningServer.AssertError(await s.PostJsonAsync("/fill_mask", """{"inputs": "[MASK]", "top_k": 0}"""), 422, "validation");
    }

    [Test]
    public async Task Token_classification_and_question_answering_equal_the_pipelines()
    {
        ServedModel ner = Served("BertForTokenClassification");
        await using (var s = await RunningServer.StartAsync(ner))
        {
            string[] texts = ["paris is the capital of france", "a man wrote a book"];
            var pipeline = ner.TokenClassification!;
            foreach (string strategy in new[] { "simple", "none", "first", "average", "max" })
            {
                var r = await s.PostJsonAsync("/token_classification", JsonSerializer.Serialize(new { inputs = texts, aggregation_strategy = strategy }));
                Assert.That(r.Status, Is.EqualTo(200), r.Body.ToString());
                var expected = pipeline.Recognize(texts, Enum.Parse<AggregationStrategy>(strategy, ignoreCase: true));
                for (int i = 0; i < texts.Length; i++)
                {
                    Assert.That(r.Body[i].GetArrayLength(), Is.EqualTo(expected[i].Count), $"{strategy} text {i}");
                    for (int k = 0; k < expected[i].Count; k++)
                    {
                        JsonElement e = r.Body[i][k];
                        Entity x = expected[i][k];
                        Assert.That(e.GetProperty(strategy == "none" ? "entity" : "entity_group").GetString(), Is.EqualTo(x.Label));
                        Assert.That(e.GetProperty("score").GetSingle(), Is.EqualTo(x.Score).Within(1e-6f));
                        Assert.That((e.GetProperty("start").GetInt32(), e.GetProperty("end").GetInt32(), e.GetProperty("word").GetString()),
                            Is.EqualTo((x.Start, x.End, texts[i][x.Start..x.End])));
                        if (strategy == "none") Assert.That(e.GetProperty("index").GetInt32(), Is.EqualTo(x.TokenIndex));
                    }
                }
                Assert.That(expected.Sum(e => e.Count), Is.GreaterThan(0), "the fixture finds entities");
            }
            var single = await s.PostJsonAsync("/token_classification", JsonSerializer.Serialize(new { inputs = texts[0], ignore_labels = new[] { "LABEL_0", "LABEL_1" } }));
            Assert.That(single.Body.ValueKind, Is.EqualTo(JsonValueKind.Array));
            Assert.That(single.Body.GetArrayLength(), Is.EqualTo(0), "every label ignored");
            RunningServer.AssertError(await s.PostJsonAsync("/token_classification", """{"inputs": "a", "aggregation_strategy": "most"}"""), 422, "validation");
            RunningServer.AssertError(await s.PostJsonAsync("/question_answering", """{"question": "a", "context": "b"}"""), 424, "backend");
        }

        ServedModel qa = Served("BertForQuestionAnswering");
        await using (var s = await RunningServer.StartAsync(qa))
        {
            string context = "paris is the capital of france. the river runs through it.";
            QaAnswer expected = qa.QuestionAnswering!.Answer("what is the capital of france?", context);
            var r = await s.PostJsonAsync("/question_answering", JsonSerializer.Serialize(new { question = "what is the capital of france?", context }));
            Assert.That(r.Status, Is.EqualTo(200), r.Body.ToString());
            Assert.That(r.Body.GetProperty("answer").GetString(), Is.EqualTo(expected.Text));
            Assert.That(r.Body.GetProperty("score").GetSingle(), Is.EqualTo(expected.Score).Within(1e-6f));
            Assert.That((r.Body.GetProperty("start").GetInt32(), r.Body.GetProperty("end").GetInt32()), Is.EqualTo((expected.Start, expected.End)));
            Assert.That(context[expected.Start..expected.End], Is.EqualTo(expected.Text));
            RunningServer.AssertError(await s.PostJsonAsync("/question_answering", """{"question": "a"}"""), 400, "validation");
            RunningServer.AssertError(await s.PostJsonAsync("/token_classification", """{"inputs": "a"}"""), 424, "backend");
        }
    }

    [Test]
    public async Task Decode_and_routes_a_plain_encoder_cannot_serve()
    {
        await using var s = await RunningServer.StartAsync(_embedder);
        var tokenizer = _embedder.Model.Tokenizer!;
        int[] ids = tokenizer.Encode("the dogs bark").Ids;
        var one = await s.PostJsonAsync("/decode", JsonSerializer.Serialize(new { ids }));
        Assert.That(one.Status, Is.EqualTo(200), one.Body.ToString());
        Assert.That(one.Body.EnumerateArray().Select(x => x.GetString()), Is.EqualTo(new[] { tokenizer.Decode(ids) }));
        Assert.That(one.Body[0].GetString(), Is.EqualTo("the dogs bark"));
        var two = await s.PostJsonAsync("/decode", JsonSerializer.Serialize(new { ids = new[] { ids, ids[1..3] }, skip_special_tokens = false }));
        Assert.That(two.Body.EnumerateArray().Select(x => x.GetString()),
            Is.EqualTo(new[] { tokenizer.Decode(ids, skipSpecialTokens: false), tokenizer.Decode(ids[1..3], skipSpecialTokens: false) }));
        Assert.That(two.Body[0].GetString(), Does.StartWith("[CLS]"));
        RunningServer.AssertError(await s.PostJsonAsync("/decode", """{"ids": [2, 100000]}"""), 422, "validation");
        RunningServer.AssertError(await s.PostJsonAsync("/decode", """{"ids": []}"""), 400, "empty");
        RunningServer.AssertError(await s.PostJsonAsync("/decode", """{"ids": "the"}"""), 400, "validation");

        (string Route, string Body, string Needs)[] unsupported =
        [
            ("/predict", """{"inputs": "a"}""", "sequence-classification"),
            ("/rerank", """{"query": "a", "texts": ["b"]}""", "cross-encoder"),
            ("/embed_sparse", """{"inputs": "a"}""", "SPLADE"),
            ("/token_classification", """{"inputs": "a"}""", "token-classification"),
            ("/question_answering", """{"question": "a", "context": "b"}""", "question-answering"),
            ("/fill_mask", """{"inputs": "[MASK]"}""", "masked-LM"),
        ];
        foreach (var (route, body, needs) in unsupported)
        {
            string message = RunningServer.AssertError(await s.PostJsonAsync(route, body), 424, "backend");
            Assert.That(message, Does.StartWith(route + " needs").And.Contain(needs).And.Contain("BertModel"), route);
        }
    }

    [Test]
    public async Task Metrics_are_Prometheus_text_with_counts_by_route_and_outcome()
    {
        await using var s = await RunningServer.StartAsync(_embedder, new ServerOptions { Model = "m", ApiKey = "k" });
        for (int i = 0; i < 3; i++) Assert.That((await s.PostJsonAsync("/embed", """{"inputs": ["the dog", "a man"]}""")).Status, Is.EqualTo(200));
        Assert.That((await s.PostJsonAsync("/embed", """{"inputs": []}""")).Status, Is.EqualTo(400));
        Assert.That((await s.PostJsonAsync("/embed_all", """{"inputs": "a"}""")).Status, Is.EqualTo(200));
        using var anonymous = new HttpClient { BaseAddress = s.Address };
        using HttpResponseMessage response = await anonymous.GetAsync("/metrics");
        Assert.That((int)response.StatusCode, Is.EqualTo(200), "/metrics needs no API key (as /health)");
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/plain"));
        string text = await response.Content.ReadAsStringAsync();
        string[] lines = text.Split('\n');
        Assert.That(lines, Does.Contain("# TYPE te_request_count counter"));
        Assert.That(lines, Does.Contain("te_request_count{route=\"/embed\",outcome=\"success\",status=\"200\"} 3"));
        Assert.That(lines, Does.Contain("te_request_count{route=\"/embed\",outcome=\"client_error\",status=\"400\"} 1"));
        Assert.That(lines, Does.Contain("te_request_count{route=\"/embed_all\",outcome=\"success\",status=\"200\"} 1"));
        Assert.That(lines, Does.Contain("# TYPE te_queue_size gauge"));
        Assert.That(lines, Does.Contain("te_queue_size 0"));
        Assert.That(lines, Does.Contain("# TYPE te_request_inference_duration histogram"));
        Assert.That(lines, Does.Contain("te_request_inference_duration_count{route=\"/embed\"} 3"));
        Assert.That(lines, Does.Contain("te_request_inference_duration_bucket{route=\"/embed\",le=\"+Inf\"} 3"));
        Assert.That(lines, Does.Contain("te_request_tokenization_duration_count{route=\"/embed\"} 3"), "the empty request was refused before tokenizing");
        Assert.That(lines, Does.Contain("te_request_queue_duration_count{route=\"/embed_all\"} 1"));
        Assert.That(lines, Does.Contain("te_batch_next_size_count 4"), "3 /embed batches + 1 /embed_all job");
        Assert.That(lines, Does.Contain("te_batch_next_size_bucket{le=\"2\"} 4"), "every batch had at most 2 inputs");
        Assert.That(lines, Does.Contain("te_request_input_length_count 7"));
        // Histogram buckets are cumulative and non-decreasing.
        long previous = 0;
        foreach (string line in lines.Where(l => l.StartsWith("te_request_duration_bucket{route=\"/embed\"", StringComparison.Ordinal)))
        {
            long v = long.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(v, Is.GreaterThanOrEqualTo(previous));
            previous = v;
        }
        Assert.That(previous, Is.EqualTo(4));
    }
}

internal static class ObjectExtensions
{
    public static TResult Let<T, TResult>(this T value, Func<T, TResult> f) => f(value);
}
