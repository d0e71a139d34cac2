using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Extensions.AI;
using BertSharp.Weights;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

using BertSharp.Tests.SentenceTransformers;

namespace BertSharp.Tests.Extensions.AI;

/// <summary>
/// The Microsoft.Extensions.AI adapter, used as a host uses it: registered in a real ServiceCollection, resolved as
/// IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt; and called through the interface only. Vectors are checked
/// against the golden sentence_embedding of all-MiniLM-L6-v2 and against SentenceEmbedder bit for bit.
/// </summary>
[NonParallelizable]
public class EmbeddingGeneratorTests
{
    private const string ModelDir = "models/all-MiniLM-L6-v2";
    private const string GoldenDir = "golden/all-MiniLM-L6-v2";
    private const int MiniLmDimension = 384;

    private ServiceProvider? _provider;

    [TearDown]
    public void DisposeProvider()
    {
        _provider?.Dispose();
        _provider = null;
    }

    private IEmbeddingGenerator<string, Embedding<float>> Resolve(Action<BertEmbeddingGeneratorOptions>? configure = null)
    {
        _provider = new ServiceCollection()
            .AddBertSharpEmbeddingGenerator(SharedData.Require(ModelDir), configure)
            .BuildServiceProvider();
        return _provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
    }

    /// <summary>(text, golden sentence_embedding row, token count) of every single-text golden case, batch rows included.</summary>
    private static List<(string Text, float[] Expected, int Tokens)> GoldenSentences(out double tolerance)
    {
        string dir = SharedData.Require(GoldenDir);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "manifest.json")));
        tolerance = doc.RootElement.GetProperty("recommended_tolerances_abs").GetProperty("sentence_embedding").GetDouble();
        var list = new List<(string, float[], int)>();
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            // Pairs are not single texts; long_256 stores a plain cut without the final [SEP] (not what truncation does).
            if (c.GetProperty("truncation_max_length").ValueKind == JsonValueKind.Number) continue;
            JsonElement texts = c.GetProperty("texts");
            if (texts[0].ValueKind != JsonValueKind.String) continue;
            using var golden = SafeTensorsFile.Open(Path.Combine(dir, c.GetProperty("file").GetString()!));
            float[] all = golden.ReadFloat32("sentence_embedding");
            for (int row = 0; row < texts.GetArrayLength(); row++)
                list.Add((texts[row].GetString()!, all.AsSpan(row * MiniLmDimension, MiniLmDimension).ToArray(),
                    c.GetProperty("valid_lengths")[row].GetInt32()));
        }
        return list;
    }

    [Test]
    public async Task VectorsMatchTheGoldenSentenceEmbeddings()
    {
        var cases = GoldenSentences(out double tolerance);
        Assert.That(cases, Has.Count.GreaterThanOrEqualTo(10));
        Assert.That(cases.Select(c => c.Text), Does.Contain(""), "the empty-string case is among them");
        IEmbeddingGenerator<string, Embedding<float>> generator = Resolve();

        DateTimeOffset before = DateTimeOffset.UtcNow;
        GeneratedEmbeddings<Embedding<float>> result = await generator.GenerateAsync(cases.Select(c => c.Text));
        Assert.That(result, Has.Count.EqualTo(cases.Count));
        for (int i = 0; i < cases.Count; i++)
        {
            Embedding<float> e = result[i];
            Assert.That(e.Vector.Length, Is.EqualTo(MiniLmDimension));
            double maxDiff = 0;
            ReadOnlySpan<float> v = e.Vector.Span;
            for (int k = 0; k < MiniLmDimension; k++) maxDiff = Math.Max(maxDiff, Math.Abs((double)v[k] - cases[i].Expected[k]));
            Assert.That(maxDiff, Is.LessThanOrEqualTo(tolerance), $"text {i} '{cases[i].Text}': max abs diff {maxDiff:E3}");
            Assert.That(e.ModelId, Is.EqualTo("all-MiniLM-L6-v2"));
            Assert.That(e.CreatedAt, Is.Not.Null.And.GreaterThanOrEqualTo(before).And.LessThanOrEqualTo(DateTimeOffset.UtcNow));
        }
        long tokens = cases.Sum(c => c.Tokens);
        Assert.That(result.Usage?.InputTokenCount, Is.EqualTo(tokens), "tokens run, [CLS]/[SEP] included");
        Assert.That(result.Usage?.TotalTokenCount, Is.EqualTo(tokens));
    }

    [Test]
    public async Task VectorsEqualSentenceEmbeddersBitForBit()
    {
        string[] texts = ["A man is eating food.", "", "   ", "The girl is carrying a baby.", "Dogs bark."];
        float[][] expected = SentenceEmbedder.Load(SharedData.Require(ModelDir)).Embed(texts);
        IEmbeddingGenerator<string, Embedding<float>> generator = Resolve(o => o.BatchSize = 2);
        GeneratedEmbeddings<Embedding<float>> result = await generator.GenerateAsync(texts);
        for (int i = 0; i < texts.Length; i++) Assert.That(result[i].Vector.ToArray(), Is.EqualTo(expected[i]), $"text {i}");

        // The MEAI single-value extension goes through the same path.
        ReadOnlyMemory<float> one = await generator.GenerateVectorAsync("Dogs bark.");
        Assert.That(one.ToArray(), Is.EqualTo(expected[4]));
    }

    [Test]
    public async Task OptionsReachTheEmbedder()
    {
        string[] texts = ["A man is eating food.", "Dogs bark."];
        float[][] expected = new SentenceEmbedder(BertModel.Load(SharedData.Require(ModelDir)), PoolingMode.Cls, normalize: false).Embed(texts);
        IEmbeddingGenerator<string, Embedding<float>> generator = Resolve(o =>
        {
            o.Pooling = PoolingMode.Cls; o.Normalize = false; o.BatchSize = 1; o.MaxThreads = 1; o.ModelId = "minilm-cls";
        });
        var embedder = generator.GetService<SentenceEmbedder>()!;
        Assert.That((embedder.Pooling, embedder.Normalize, embedder.BatchSize, embedder.MaxThreads), Is.EqualTo((PoolingMode.Cls, false, 1, 1)));
        GeneratedEmbeddings<Embedding<float>> result = await generator.GenerateAsync(texts);
        Assert.That(result.Select(e => e.Vector.ToArray()), Is.EqualTo(expected));
        Assert.That(result.Select(e => e.ModelId), Is.All.EqualTo("minilm-cls"));
        Assert.That(generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId, Is.EqualTo("minilm-cls"));
    }

    [Test]
    public void MetadataAndServices()
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = Resolve();
        EmbeddingGeneratorMetadata? metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        Assert.That(metadata, Is.Not.Null);
        Assert.That(metadata!.ProviderName, Is.EqualTo("bertsharp"));
        Assert.That(metadata.DefaultModelId, Is.EqualTo("all-MiniLM-L6-v2"));
        Assert.That(metadata.DefaultModelDimensions, Is.EqualTo(MiniLmDimension));
        Assert.That(generator.GetService<SentenceEmbedder>(), Is.Not.Null);
        Assert.That(generator.GetService<BertModel>(), Is.SameAs(generator.GetService<SentenceEmbedder>()!.Model));
        Assert.That(generator.GetService<BertEmbeddingGenerator>(), Is.SameAs(generator));
        Assert.That(generator.GetService<EmbeddingGeneratorMetadata>("some key"), Is.Null, "keyed lookups are not ours");
        Assert.That(generator.GetService<string>(), Is.Null);
        Assert.That(() => generator.GetService(null!), Throws.ArgumentNullException);
    }

    [Test]
    public async Task DimensionsOptionTruncatesAndRenormalises()
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = Resolve();
        var full = await generator.GenerateAsync(["Dogs bark."], new EmbeddingGenerationOptions { Dimensions = MiniLmDimension });
        Assert.That(full[0].Vector.Length, Is.EqualTo(MiniLmDimension));
        var cut = await generator.GenerateAsync(["Dogs bark."], new EmbeddingGenerationOptions { Dimensions = 128 });
        float[] f = full[0].Vector.ToArray(), c = cut[0].Vector.ToArray();
        Assert.That(c, Has.Length.EqualTo(128));
        // Matryoshka as OpenAI/TEI `dimensions`: the first 128 dimensions, L2-normalised again (MiniLM ends with Normalize).
        float norm = MathF.Sqrt(f.Take(128).Sum(x => x * x));
        Assert.That(c, Is.EqualTo(f.Take(128).Select(x => x / norm).ToArray()).Within(1e-6f));
        Assert.That(MathF.Sqrt(c.Sum(x => x * x)), Is.EqualTo(1f).Within(1e-5f));
        // (Dimensions ≤ 0 is refused by EmbeddingGenerationOptions itself.)
        foreach (int bad in new[] { MiniLmDimension + 1, 1000 })
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
                generator.GenerateAsync(["Dogs bark."], new EmbeddingGenerationOptions { Dimensions = bad }).GetAwaiter().GetResult());
            Assert.That(ex!.Message, Does.Contain(bad.ToString(System.Globalization.CultureInfo.InvariantCulture)).And.Contain("384").And.Contain("all-MiniLM-L6-v2"));
        }
    }

    [Test]
    public async Task PromptNameComesFromTheOptionsOrTheCall()
    {
        string dir = SentenceTransformersFixtures.Checkpoint();
        try
        {
            SentenceTransformersFixtures.MeanPooling(dir, normalize: true);
            File.WriteAllText(Path.Combine(dir, "config_sentence_transformers.json"), """{"prompts": {"query": "query: ", "passage": "passage: "}}""");
            var embedder = SentenceEmbedder.Load(dir);
            using var generator = BertEmbeddingGenerator.Load(dir, o => o.PromptName = "query");
            var q = await generator.GenerateAsync(["a dog barks"]);
            Assert.That(q[0].Vector.ToArray(), Is.EqualTo(embedder.Embed(["a dog barks"], "query")[0]));
            var p = await generator.GenerateAsync(["a dog barks"], new EmbeddingGenerationOptions
                { AdditionalProperties = new AdditionalPropertiesDictionary { ["prompt_name"] = "passage" } });
            Assert.That(p[0].Vector.ToArray(), Is.EqualTo(embedder.Embed(["a dog barks"], "passage")[0]));
            Assert.That(p[0].Vector.ToArray(), Is.Not.EqualTo(q[0].Vector.ToArray()));
            Assert.That(() => BertEmbeddingGenerator.Load(dir, o => o.PromptName = "doc"),
                Throws.TypeOf<BertInputException>().With.Message.Contains("'doc'"));
        }
        finally { SentenceTransformersFixtures.Delete(dir); }
    }

    [Test]
    public async Task ModelIdOptionMustBeOurs()
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = Resolve();
        var ok = await generator.GenerateAsync(["Dogs bark."], new EmbeddingGenerationOptions { ModelId = "ALL-MiniLM-L6-v2" });
        Assert.That(ok, Has.Count.EqualTo(1));
        var ex = Assert.Throws<NotSupportedException>(() =>
            generator.GenerateAsync(["Dogs bark."], new EmbeddingGenerationOptions { ModelId = "text-embedding-3-small" }).GetAwaiter().GetResult());
        Assert.That(ex!.Message, Does.Contain("text-embedding-3-small").And.Contain("all-MiniLM-L6-v2"));
    }

    [Test]
    public void PreCancelledTokenCancels()
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = Resolve();
        Task<GeneratedEmbeddings<Embedding<float>>> task = generator.GenerateAsync(["Dogs bark."], null, new CancellationToken(canceled: true));
        Assert.That(task.IsCanceled, Is.True, "cancellation comes through the task");
        Assert.That(async () => await task, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task EmptyInputGivesAnEmptyResult()
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = Resolve();
        GeneratedEmbeddings<Embedding<float>> result = await generator.GenerateAsync(Array.Empty<string>());
        Assert.That(result, Is.Empty);
        Assert.That(result.Usage?.InputTokenCount, Is.EqualTo(0));
    }

    [Test]
    public async Task NullInputsAreRejectedEmptyStringsAreEmbedded()
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = Resolve();
        Assert.That(() => generator.GenerateAsync(null!), Throws.ArgumentNullException);
        var ex = Assert.Throws<ArgumentException>(() => generator.GenerateAsync(["a", null!, "c"]));
        Assert.That(ex!.Message, Does.Contain("input 1 is null"));
        GeneratedEmbeddings<Embedding<float>> result = await generator.GenerateAsync([""]);
        Assert.That(result[0].Vector.Length, Is.EqualTo(MiniLmDimension));
        Assert.That(result.Usage?.InputTokenCount, Is.EqualTo(2), "[CLS] [SEP]");
    }

    [Test]
    public async Task UsageCountsTokensAfterTruncation()
    {
        // all-MiniLM-L6-v2's sentence_bert_config max_seq_length is 256: a longer text runs as 256 tokens.
        string longText = string.Join(' ', Enumerable.Repeat("the river flowed over the bank", 80));
        IEmbeddingGenerator<string, Embedding<float>> generator = Resolve();
        int full = generator.GetService<BertModel>()!.RequireTokenizer().Encode(longText).Ids.Length;
        Assert.That(full, Is.GreaterThan(256));
        GeneratedEmbeddings<Embedding<float>> result = await generator.GenerateAsync([longText, "Dogs bark."]);
        Assert.That(result.Usage?.InputTokenCount, Is.EqualTo(256 + 5), "256 + [CLS] dogs bark . [SEP]");
    }

    [Test]
    public async Task ConcurrentCallersGetTheSequentialResults()
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = Resolve();
        string[][] inputs = [["A man is eating food."], ["Dogs bark.", "The girl is carrying a baby."], ["the river flowed over the bank."], [""]];
        var sequential = new List<float[][]>();
        foreach (string[] texts in inputs) sequential.Add((await generator.GenerateAsync(texts)).Select(e => e.Vector.ToArray()).ToArray());
        for (int round = 0; round < 3; round++)
        {
            var tasks = inputs.Select(texts => Task.Run(() => generator.GenerateAsync(texts))).ToArray();
            await Task.WhenAll(tasks);
            for (int i = 0; i < inputs.Length; i++)
                Assert.That(tasks[i].Result.Select(e => e.Vector.ToArray()), Is.EqualTo(sequential[i]), $"round {round}, input {i}");
        }
    }

    [Test]
    public async Task KeyedRegistrationsAreSeparateSingletons()
    {
        string dir = SharedData.Require(ModelDir);
        _provider = new ServiceCollection()
            .AddKeyedBertSharpEmbeddingGenerator("mean", dir)
            .AddKeyedBertSharpEmbeddingGenerator("cls", dir, o => { o.Pooling = PoolingMode.Cls; o.ModelId = "minilm-cls"; })
            .BuildServiceProvider();
        var mean = _provider.GetRequiredKeyedService<IEmbeddingGenerator<string, Embedding<float>>>("mean");
        var cls = _provider.GetRequiredKeyedService<IEmbeddingGenerator<string, Embedding<float>>>("cls");
        Assert.That(_provider.GetRequiredKeyedService<IEmbeddingGenerator<string, Embedding<float>>>("mean"), Is.SameAs(mean));
        Assert.That(_provider.GetService<IEmbeddingGenerator<string, Embedding<float>>>(), Is.Null, "no unkeyed registration");
        Assert.That(mean.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId, Is.EqualTo("all-MiniLM-L6-v2"));
        Assert.That(cls.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId, Is.EqualTo("minilm-cls"));
        var a = await mean.GenerateAsync(["Dogs bark."]);
        var b = await cls.GenerateAsync(["Dogs bark."]);
        Assert.That(b[0].Vector.ToArray(), Is.Not.EqualTo(a[0].Vector.ToArray()), "different pooling, different vector");
    }

    [Test]
    public void AMissingFolderFailsAtResolveNamingThePath()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"bertsharp-no-such-model-{Guid.NewGuid():N}");
        var services = new ServiceCollection().AddBertSharpEmbeddingGenerator(missing);   // lazy: nothing loaded yet
        using ServiceProvider provider = services.BuildServiceProvider();
        var ex = Assert.Catch(() => provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.That(ex!.Message, Does.Contain(missing).And.Contain("does not exist"));
        Assert.That(() => new ServiceCollection().AddBertSharpEmbeddingGenerator(" "), Throws.ArgumentException);
    }

    [Test]
    public void ModelIdsFromFoldersAndHubCacheSnapshots()
    {
        Assert.That(BertEmbeddingGenerator.DefaultModelId("/x/models/all-MiniLM-L6-v2/"), Is.EqualTo("all-MiniLM-L6-v2"));
        Assert.That(BertEmbeddingGenerator.DefaultModelId("/c/hub/models--sentence-transformers--all-MiniLM-L6-v2/snapshots/abc123"),
            Is.EqualTo("sentence-transformers/all-MiniLM-L6-v2"));
        Assert.That(BertEmbeddingGenerator.DefaultModelId("/c/hub/models--bert-base-uncased/snapshots/abc123"), Is.EqualTo("bert-base-uncased"));
    }
}
