using BertSharp.Engine;
using BertSharp.Engine.SentenceTransformers;
using BertSharp.Weights;
using F = BertSharp.Tests.SentenceTransformers.SentenceTransformersFixtures;
using R = BertSharp.Tests.SentenceTransformers.SentenceTransformersReference;

namespace BertSharp.Tests.SentenceTransformers;

/// <summary>
/// modules.json in full on tiny random checkpoints: Pooling modes and include_prompt, Dense (tanh and identity),
/// Normalize, LayerNorm, file order, prompts, similarity_fn_name, Matryoshka truncation, and errors that name the file.
/// Expected values: <see cref="SentenceTransformersReference"/> (double precision from sentence-transformers' source);
/// tolerance 2e-5 absolute on float32 outputs of magnitude ≤ ~3.
/// </summary>
public class SentenceTransformersPipelineTests
{
    private const float Tol = 2e-5f;
    private static readonly string[] Texts = ["the cat sat on the mat.", "a dog barks", "what is the capital of france?"];
    private string? _dir;

    [TearDown]
    public void Cleanup() { F.Delete(_dir); _dir = null; }

    private static double[][] MeanPooled(BertModel model, IReadOnlyList<string> texts, string mode = "mean", int promptLength = 0)
    {
        ModelOutput o = model.Run(texts);
        return Enumerable.Range(0, texts.Count).Select(r => R.Pool(o, r, R.Mask(o, r, promptLength), mode)).ToArray();
    }

    private static void AssertClose(float[][] actual, double[][] expected)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        for (int i = 0; i < actual.Length; i++)
            Assert.That(actual[i], Is.EqualTo(R.ToFloat(expected[i])).Within(Tol), $"row {i}");
    }

    [Test]
    public void DenseTanhThenNormalizeMatchesReference()
    {
        _dir = F.Checkpoint();
        F.Pooling(_dir, "1_Pooling", """{"word_embedding_dimension": 32, "pooling_mode_mean_tokens": true}""");
        var (w, b) = F.Dense(_dir, "2_Dense", 32, 8, bias: true, "torch.nn.modules.activation.Tanh", seed: 11);
        F.Modules(_dir, ("Transformer", ""), ("Pooling", "1_Pooling"), ("Dense", "2_Dense"), ("Normalize", "3_Normalize"));
        var embedder = SentenceEmbedder.Load(_dir);
        Assert.That((embedder.Dimension, embedder.Normalize), Is.EqualTo((8, true)));
        Assert.That(embedder.Pipeline.Modules.Select(m => m.GetType()), Is.EqualTo(new[] { typeof(DenseModule), typeof(NormalizeModule) }));
        var expected = MeanPooled(embedder.Model, Texts).Select(x => R.Normalize(R.Dense(x, w, b, 8, Math.Tanh))).ToArray();
        AssertClose(embedder.Embed(Texts), expected);
    }

    [Test]
    public void DenseIdentityWithoutBiasMatchesReference()
    {
        _dir = F.Checkpoint();
        F.Pooling(_dir, "1_Pooling", """{"word_embedding_dimension": 32, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}""");
        var (w, _) = F.Dense(_dir, "2_Dense", 32, 12, bias: false, "torch.nn.modules.linear.Identity", seed: 12);
        F.Modules(_dir, ("Transformer", ""), ("Pooling", "1_Pooling"), ("Dense", "2_Dense"));
        var embedder = SentenceEmbedder.Load(_dir);
        Assert.That((embedder.Dimension, embedder.Normalize, embedder.Pooling), Is.EqualTo((12, false, PoolingMode.Cls)));
        var expected = MeanPooled(embedder.Model, Texts, "cls").Select(x => R.Dense(x, w, null, 12, v => v)).ToArray();
        AssertClose(embedder.Embed(Texts), expected);
    }

    [Test]
    public void ModulesRunInModulesJsonOrder()
    {
        _dir = F.Checkpoint();
        F.Pooling(_dir, "1_Pooling", """{"word_embedding_dimension": 32}""");
        var (w, b) = F.Dense(_dir, "3_Dense", 32, 16, bias: true, "torch.nn.modules.activation.Tanh", seed: 13);
        // Normalize first, then Dense: the output is not unit length.
        F.Modules(_dir, ("Transformer", ""), ("Pooling", "1_Pooling"), ("Normalize", "2_Normalize"), ("Dense", "3_Dense"));
        var normalizeThenDense = SentenceEmbedder.Load(_dir);
        Assert.That(normalizeThenDense.Normalize, Is.False);
        var pooled = MeanPooled(normalizeThenDense.Model, Texts);
        AssertClose(normalizeThenDense.Embed(Texts), pooled.Select(x => R.Dense(R.Normalize(x), w, b, 16, Math.Tanh)).ToArray());

        F.Modules(_dir, ("Transformer", ""), ("Pooling", "1_Pooling"), ("Dense", "3_Dense"), ("Normalize", "2_Normalize"));
        var denseThenNormalize = SentenceEmbedder.Load(_dir);
        Assert.That(denseThenNormalize.Normalize, Is.True);
        AssertClose(denseThenNormalize.Embed(Texts), pooled.Select(x => R.Normalize(R.Dense(x, w, b, 16, Math.Tanh))).ToArray());
    }

    [Test]
    public void LayerNormModuleMatchesTorchLayerNorm()
    {
        _dir = F.Checkpoint();
        F.Pooling(_dir, "1_Pooling", """{"word_embedding_dimension": 32}""");
        Directory.CreateDirectory(Path.Combine(_dir, "2_LayerNorm"));
        File.WriteAllText(Path.Combine(_dir, "2_LayerNorm", "config.json"), """{"dimension": 32}""");
        var rng = new Random(5);
        float[] g = Enumerable.Range(0, 32).Select(_ => 1 + 0.5f * F.Normal(rng)).ToArray(), be = Enumerable.Range(0, 32).Select(_ => F.Normal(rng)).ToArray();
        var writer = new SafeTensorsWriter();
        writer.Add("norm.weight", g, 32); writer.Add("norm.bias", be, 32);
        writer.Save(Path.Combine(_dir, "2_LayerNorm", "model.safetensors"));
        F.Modules(_dir, ("Transformer", ""), ("Pooling", "1_Pooling"), ("LayerNorm", "2_LayerNorm"));
        var embedder = SentenceEmbedder.Load(_dir);
        var expected = MeanPooled(embedder.Model, Texts).Select(x =>
        {
            double mu = x.Average(), var = x.Select(v => (v - mu) * (v - mu)).Average();   // biased variance, eps 1e-5
            return x.Select((v, j) => (v - mu) / Math.Sqrt(var + 1e-5) * g[j] + be[j]).ToArray();
        }).ToArray();
        AssertClose(embedder.Embed(Texts), expected);
    }

    [TestCase("weightedmean", """ "pooling_mode_mean_tokens": false, "pooling_mode_weightedmean_tokens": true """)]
    [TestCase("lasttoken", """ "pooling_mode": "lasttoken" """)]
    [TestCase("max", """ "pooling_mode_mean_tokens": false, "pooling_mode_max_tokens": true """)]
    [TestCase("mean_sqrt_len_tokens", """ "pooling_mode_mean_tokens": false, "pooling_mode_mean_sqrt_len_tokens": true """)]
    public void PoolingModesMatchReference(string mode, string flags)
    {
        _dir = F.Checkpoint();
        F.Pooling(_dir, "1_Pooling", $$"""{"word_embedding_dimension": 32, {{flags}}}""");
        F.Modules(_dir, ("Transformer", ""), ("Pooling", "1_Pooling"));
        var embedder = SentenceEmbedder.Load(_dir);
        Assert.That(embedder.Pooling, Is.EqualTo(Pooling.Parse(mode)));
        AssertClose(embedder.Embed(Texts), MeanPooled(embedder.Model, Texts, mode));
    }

    [Test]
    public void SeveralPoolingFlagsConcatenateInSentenceTransformersOrder()
    {
        _dir = F.Checkpoint();
        // Flags in file order mean, cls, max: sentence-transformers concatenates cls, max, mean.
        F.Pooling(_dir, "1_Pooling", """{"pooling_mode_mean_tokens": true, "pooling_mode_cls_token": true, "pooling_mode_max_tokens": true}""");
        F.Modules(_dir, ("Transformer", ""), ("Pooling", "1_Pooling"));
        var embedder = SentenceEmbedder.Load(_dir);
        Assert.That(embedder.Dimension, Is.EqualTo(96));
        var expected = Enumerable.Range(0, Texts.Length).Select(r =>
            MeanPooled(embedder.Model, Texts, "cls")[r].Concat(MeanPooled(embedder.Model, Texts, "max")[r]).Concat(MeanPooled(embedder.Model, Texts, "mean")[r]).ToArray()).ToArray();
        AssertClose(embedder.Embed(Texts), expected);
    }

    private void PromptFolder(bool includePrompt, string defaultPrompt = "")
    {
        _dir = F.Checkpoint();
        string include = includePrompt ? "true" : "false";
        F.MeanPooling(_dir, normalize: false, poolingExtra: $", \"include_prompt\": {include}");
        string def = defaultPrompt.Length > 0 ? $", \"default_prompt_name\": \"{defaultPrompt}\"" : "";
        File.WriteAllText(Path.Combine(_dir, "config_sentence_transformers.json"),
            $$"""{"prompts": {"query": "query: ", "passage": "passage: ", "search": "represent this sentence for searching relevant passages: "}{{def}}, "similarity_fn_name": "dot"}""");
    }

    [Test]
    public void PromptIsPrependedAndPooledWhenIncludePromptIsTrue()
    {
        PromptFolder(includePrompt: true);
        var embedder = SentenceEmbedder.Load(_dir!);
        Assert.That(embedder.Prompts.Keys, Is.EquivalentTo(new[] { "query", "passage", "search" }));
        Assert.That(embedder.SimilarityFunction, Is.EqualTo(SimilarityFunction.Dot));
        float[][] withPrompt = embedder.Embed(Texts, promptName: "query");
        float[][] byHand = embedder.Embed(Texts.Select(t => "query: " + t).ToArray());
        Assert.That(withPrompt, Is.EqualTo(byHand), "prompt + text, pooled over every token");
        Assert.That(withPrompt[0], Is.Not.EqualTo(embedder.Embed(Texts)[0]));
        Assert.That(embedder.Embed(Texts, new EmbedOptions { Prompt = "passage: ", PromptName = "query" }),
            Is.EqualTo(embedder.Embed(Texts, "passage")), "an explicit prompt wins over prompt_name");
    }

    [Test]
    public void IncludePromptFalseExcludesThePromptTokensFromPooling()
    {
        PromptFolder(includePrompt: false);
        var embedder = SentenceEmbedder.Load(_dir!);
        foreach (string name in new[] { "query", "search" })
        {
            string prompt = embedder.Prompts[name];
            int length = R.PromptLength(embedder.Model, prompt);
            Assert.That(embedder.PromptLength(prompt), Is.EqualTo(length));
            Assert.That(length, Is.EqualTo(name == "query" ? 3 : 9), "[CLS] + the prompt's tokens");
            var prompted = Texts.Select(t => prompt + t).ToArray();
            AssertClose(embedder.Embed(Texts, name), MeanPooled(embedder.Model, prompted, "mean", length));
        }
        // The same texts with include_prompt true give another vector.
        PromptFolder(includePrompt: true);
        var including = SentenceEmbedder.Load(_dir!);
        Assert.That(including.Embed(Texts, "query")[0], Is.Not.EqualTo(embedder.Embed(Texts, "query")[0]).Within(1e-3f));
    }

    [Test]
    public void DefaultPromptNameAppliesWhenACallNamesNone()
    {
        PromptFolder(includePrompt: true, defaultPrompt: "query");
        var embedder = SentenceEmbedder.Load(_dir!);
        Assert.That(embedder.DefaultPromptName, Is.EqualTo("query"));
        Assert.That(embedder.Embed(Texts), Is.EqualTo(embedder.Embed(Texts, new EmbedOptions { Prompt = "query: " })));
        Assert.That(embedder.Embed(Texts, new EmbedOptions { Prompt = "" }), Is.Not.EqualTo(embedder.Embed(Texts)),
            "an explicit empty prompt means no prompt");
        var ex = Assert.Throws<BertInputException>(() => embedder.Embed(Texts, "document"));
        Assert.That(ex!.Message, Does.Contain("'document'").And.Contain("query").And.Contain("passage"));
    }

    [Test]
    public void DefaultPromptNameMustBeAPrompt()
    {
        PromptFolder(includePrompt: true, defaultPrompt: "nope");
        var ex = Assert.Throws<ConfigException>(() => SentenceEmbedder.Load(_dir!));
        Assert.That(ex!.Message, Does.Contain("config_sentence_transformers.json").And.Contain("'nope'"));
    }

    [Test]
    public void MatryoshkaTruncationKeepsThePrefixAndRenormalises()
    {
        _dir = F.Checkpoint();
        F.MeanPooling(_dir, normalize: true);
        var embedder = SentenceEmbedder.Load(_dir);
        float[][] full = embedder.Embed(Texts);
        float[][] cut = embedder.Embed(Texts, new EmbedOptions { Dimensions = 8 });
        for (int i = 0; i < Texts.Length; i++)
            Assert.That(cut[i], Is.EqualTo(R.ToFloat(R.Normalize(full[i].Take(8).Select(v => (double)v).ToArray()))).Within(1e-6f));
        var fixedDim = new SentenceEmbedder(embedder.Model) { TruncateDim = 8 };
        Assert.That((fixedDim.Dimension, fixedDim.FullDimension), Is.EqualTo((8, 32)));
        Assert.That(fixedDim.Embed(Texts), Is.EqualTo(cut));
        Assert.That(fixedDim.Embed(Texts, new EmbedOptions { Dimensions = 32 }), Is.EqualTo(full), "per call wins over TruncateDim");

        // Not normalised: a plain prefix (sentence-transformers truncate_embeddings).
        var raw = new SentenceEmbedder(embedder.Model, normalize: false);
        float[][] rawFull = raw.Embed(Texts), rawCut = raw.Embed(Texts, new EmbedOptions { Dimensions = 5 });
        for (int i = 0; i < Texts.Length; i++) Assert.That(rawCut[i], Is.EqualTo(rawFull[i][..5]));
        Assert.That(rawFull[0], Is.EqualTo(R.ToFloat(MeanPooled(embedder.Model, Texts)[0])).Within(Tol), "normalize: false leaves the Normalize module out");
        foreach (int bad in new[] { 0, 33 })
            Assert.That(() => embedder.Embed(Texts, new EmbedOptions { Dimensions = bad }),
                Throws.TypeOf<BertInputException>().With.Message.Contains($"dimensions {bad}").And.Message.Contains("32"));
        Assert.That(() => new SentenceEmbedder(embedder.Model) { TruncateDim = 40 }, Throws.TypeOf<BertInputException>());
    }

    [Test]
    public void UnknownModuleTypeIsAnErrorNamingIt()
    {
        _dir = F.Checkpoint();
        F.Pooling(_dir, "1_Pooling", """{"pooling_mode_mean_tokens": true}""");
        F.Modules(_dir, ("Transformer", ""), ("Pooling", "1_Pooling"), ("sentence_transformers.models.CNN", "2_CNN"));
        var ex = Assert.Throws<ConfigException>(() => SentenceEmbedder.Load(_dir));
        Assert.That(ex!.Message, Does.Contain("modules.json").And.Contain("sentence_transformers.models.CNN"));
        F.Modules(_dir, ("Transformer", ""), ("Pooling", "1_Pooling"), ("my_package.Projection", "2_P"));
        Assert.That(() => SentenceEmbedder.Load(_dir), Throws.TypeOf<ConfigException>().With.Message.Contains("my_package.Projection"));
    }

    [Test]
    public void DenseWithOnlyPytorchModelBinIsAnErrorNamingTheFile()
    {
        _dir = F.Checkpoint();
        F.Pooling(_dir, "1_Pooling", """{"pooling_mode_mean_tokens": true}""");
        F.Dense(_dir, "2_Dense", 32, 8, true, "torch.nn.modules.activation.Tanh", 1);
        File.Move(Path.Combine(_dir, "2_Dense", "model.safetensors"), Path.Combine(_dir, "2_Dense", "pytorch_model.bin"));
        F.Modules(_dir, ("Transformer", ""), ("Pooling", "1_Pooling"), ("Dense", "2_Dense"));
        var ex = Assert.Throws<CheckpointException>(() => SentenceEmbedder.Load(_dir));
        Assert.That(ex!.Message, Does.Contain(Path.Combine("2_Dense", "pytorch_model.bin")).And.Contain("safetensors"));
    }

    [TestCase("""{"in_features": 32, "out_features": 8, "activation_function": "torch.nn.modules.activation.Softmax2d"}""", "Softmax2d")]
    [TestCase("""{"in_features": 16, "out_features": 8}""", "'linear.weight' has shape [8,32], expected [8,16]")]
    [TestCase("""{"out_features": 8}""", "in_features")]
    public void BadDenseConfigIsAnErrorNamingTheField(string config, string named)
    {
        _dir = F.Checkpoint();
        F.Pooling(_dir, "1_Pooling", """{"pooling_mode_mean_tokens": true}""");
        F.Dense(_dir, "2_Dense", 32, 8, true, "torch.nn.modules.activation.Tanh", 1);
        File.WriteAllText(Path.Combine(_dir, "2_Dense", "config.json"), config);
        F.Modules(_dir, ("Transformer", ""), ("Pooling", "1_Pooling"), ("Dense", "2_Dense"));
        Exception ex = Assert.Catch(() => SentenceEmbedder.Load(_dir))!;
        Assert.That(ex, Is.InstanceOf<ConfigException>().Or.InstanceOf<CheckpointException>());
        Assert.That(ex.Message, Does.Contain(named));
    }

    [Test]
    public void DenseWhoseInFeaturesDoNotFitThePoolingIsAnError()
    {
        _dir = F.Checkpoint();
        F.Pooling(_dir, "1_Pooling", """{"pooling_mode_mean_tokens": true}""");
        F.Dense(_dir, "2_Dense", 16, 8, true, "torch.nn.modules.activation.Tanh", 1);
        F.Modules(_dir, ("Transformer", ""), ("Pooling", "1_Pooling"), ("Dense", "2_Dense"));
        Assert.That(() => SentenceEmbedder.Load(_dir), Throws.TypeOf<ConfigException>()
            .With.Message.Contains("takes 16 features (in_features)").And.Message.Contains("gives 32"));
    }

    [Test]
    public void DenseBeforePoolingIsAnError()
    {
        _dir = F.Checkpoint();
        F.Pooling(_dir, "2_Pooling", """{"pooling_mode_mean_tokens": true}""");
        F.Modules(_dir, ("Transformer", ""), ("Normalize", "1_Normalize"), ("Pooling", "2_Pooling"));
        Assert.That(() => SentenceEmbedder.Load(_dir), Throws.TypeOf<ConfigException>().With.Message.Contains("before the Pooling"));
    }

    [Test]
    public void SimilarityFunctionsAreSentenceTransformersScores()
    {
        float[] a = [1, 2, 3], b = [-1, 0.5f, 2];
        Assert.That(Similarity.Score(SimilarityFunction.Dot, a, b), Is.EqualTo(-1 + 1 + 6).Within(1e-6));
        Assert.That(Similarity.Score(SimilarityFunction.Cosine, a, b), Is.EqualTo(6 / (Math.Sqrt(14) * Math.Sqrt(5.25))).Within(1e-6));
        Assert.That(Similarity.Score(SimilarityFunction.Euclidean, a, b), Is.EqualTo(-Math.Sqrt(4 + 2.25 + 1)).Within(1e-6));
        Assert.That(Similarity.Score(SimilarityFunction.Manhattan, a, b), Is.EqualTo(-(2 + 1.5 + 1)).Within(1e-6));
        Assert.That(Similarity.Parse("dot_product"), Is.EqualTo(SimilarityFunction.Dot));
        Assert.That(() => Similarity.Parse("jaccard", "x.json"), Throws.TypeOf<ConfigException>().With.Message.Contains("jaccard"));
    }

    [Test]
    public void MiniLmMatchesItsGoldenSentenceEmbeddingsThroughTheModulePipeline()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        string golden = SharedData.Require("golden/all-MiniLM-L6-v2");
        var embedder = SentenceEmbedder.Load(model);
        Assert.That(embedder.Pipeline.Modules.Select(m => m.GetType()), Is.EqualTo(new[] { typeof(NormalizeModule) }));
        Assert.That((embedder.Pooling, embedder.Normalize, embedder.Dimension, embedder.SimilarityFunction),
            Is.EqualTo((PoolingMode.Mean, true, 384, SimilarityFunction.Cosine)));
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(golden, "manifest.json")));
        double tolerance = doc.RootElement.GetProperty("recommended_tolerances_abs").GetProperty("sentence_embedding").GetDouble();
        int checkedRows = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("truncation_max_length").ValueKind == System.Text.Json.JsonValueKind.Number) continue;
            var texts = c.GetProperty("texts");
            if (texts[0].ValueKind != System.Text.Json.JsonValueKind.String) continue;
            string[] batch = texts.EnumerateArray().Select(t => t.GetString()!).ToArray();
            using var file = SafeTensorsFile.Open(Path.Combine(golden, c.GetProperty("file").GetString()!));
            float[] expected = file.ReadFloat32("sentence_embedding");
            float[][] actual = embedder.Embed(batch);
            for (int r = 0; r < batch.Length; r++, checkedRows++)
                Assert.That(actual[r], Is.EqualTo(expected.AsSpan(r * 384, 384).ToArray()).Within(tolerance), $"{c.GetProperty("file")} row {r}");
        }
        Assert.That(checkedRows, Is.GreaterThanOrEqualTo(10));
    }

    [Test]
    public void MiniLmWithAnAddedDenseModuleReturnsItsOutput()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        _dir = Path.Combine(Path.GetTempPath(), $"bertsharp-st-minilm-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
        foreach (string f in Directory.GetFiles(model))
            if (Path.GetFileName(f) != "modules.json") File.CreateSymbolicLink(Path.Combine(_dir, Path.GetFileName(f)), f);
        Directory.CreateDirectory(Path.Combine(_dir, "1_Pooling"));
        File.Copy(Path.Combine(model, "1_Pooling", "config.json"), Path.Combine(_dir, "1_Pooling", "config.json"));
        var (w, b) = F.Dense(_dir, "2_Dense", 384, 64, true, "torch.nn.modules.activation.Tanh", 3);
        F.Modules(_dir, ("Transformer", ""), ("Pooling", "1_Pooling"), ("Dense", "2_Dense"), ("Normalize", "3_Normalize"));
        var embedder = SentenceEmbedder.Load(_dir);
        Assert.That(embedder.Dimension, Is.EqualTo(64));
        var plain = SentenceEmbedder.Load(model);
        float[][] base384 = plain.Embed(Texts);
        // MiniLM's own recipe normalises after pooling; here Dense reads the unnormalised mean.
        var pooled = MeanPooled(plain.Model, Texts);
        for (int i = 0; i < Texts.Length; i++)
            Assert.That(base384[i], Is.EqualTo(R.ToFloat(R.Normalize(pooled[i]))).Within(1e-5f));
        AssertClose(embedder.Embed(Texts), pooled.Select(x => R.Normalize(R.Dense(x, w, b, 64, Math.Tanh))).ToArray());
    }
}
