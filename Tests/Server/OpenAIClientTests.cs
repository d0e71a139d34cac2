using System.ClientModel;
using BertSharp.Engine;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Embeddings;

namespace BertSharp.Tests.Server;

/// <summary>
/// The official OpenAI .NET SDK (2.15.0) EmbeddingClient and Microsoft.Extensions.AI.OpenAI's IEmbeddingGenerator
/// (10.11.0) pointed at `bertsharp serve` give SentenceEmbedder's in-process vectors (≤ 1e-6), on the shared MiniLM.
/// </summary>
[TestFixture]
public sealed class OpenAIClientTests
{
    private static readonly string[] Texts = ["A man is eating food.", "A man is riding a horse.", "The bank of the river was muddy."];

    private static SentenceEmbedder MiniLm() => SentenceEmbedder.Load(SharedData.Require("models/all-MiniLM-L6-v2"));

    private static OpenAIClientOptions Endpoint(RunningServer s) => new() { Endpoint = new Uri(s.Address, "v1") };

    [Test]
    public async Task OpenAI_EmbeddingClient_equals_SentenceEmbedder()
    {
        SentenceEmbedder embedder = MiniLm();
        await using var s = await RunningServer.StartAsync(embedder, new BertSharp.Server.ServerOptions { Model = "m", ApiKey = "key", ServedModelName = "all-MiniLM-L6-v2" });
        var client = new EmbeddingClient("all-MiniLM-L6-v2", new ApiKeyCredential("key"), Endpoint(s));
        OpenAIEmbeddingCollection result = (await client.GenerateEmbeddingsAsync(Texts)).Value;
        var counts = new int[Texts.Length];
        float[][] expected = embedder.EmbedCountingTokens(Texts, counts);
        Assert.That(result, Has.Count.EqualTo(Texts.Length));
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.That(result[i].Index, Is.EqualTo(i));
            RunningServer.AssertClose(expected[i], result[i].ToFloats().ToArray(), 1e-6f, $"text {i}");
        }
        Assert.That(result.Usage.InputTokenCount, Is.EqualTo(counts.Sum()));

        OpenAIEmbedding cut = (await client.GenerateEmbeddingAsync(Texts[0], new OpenAI.Embeddings.EmbeddingGenerationOptions { Dimensions = 64 })).Value;
        RunningServer.AssertClose(embedder.Embed([Texts[0]], new EmbedOptions { Dimensions = 64 })[0], cut.ToFloats().ToArray(), 1e-6f, "dimensions 64");

        var wrongKey = new EmbeddingClient("all-MiniLM-L6-v2", new ApiKeyCredential("nope"), Endpoint(s));
        var e = Assert.ThrowsAsync<ClientResultException>(async () => await wrongKey.GenerateEmbeddingAsync("a"));
        Assert.That(e!.Status, Is.EqualTo(401));
    }

    [Test]
    public async Task MEAI_OpenAI_IEmbeddingGenerator_equals_SentenceEmbedder()
    {
        SentenceEmbedder embedder = MiniLm();
        await using var s = await RunningServer.StartAsync(embedder);
        IEmbeddingGenerator<string, Embedding<float>> generator =
            new OpenAIClient(new ApiKeyCredential("unused"), Endpoint(s)).GetEmbeddingClient("all-MiniLM-L6-v2").AsIEmbeddingGenerator();
        GeneratedEmbeddings<Embedding<float>> result = await generator.GenerateAsync(Texts);
        float[][] expected = embedder.Embed(Texts);
        Assert.That(result, Has.Count.EqualTo(Texts.Length));
        for (int i = 0; i < Texts.Length; i++) RunningServer.AssertClose(expected[i], result[i].Vector.ToArray(), 1e-6f, $"text {i}");
        Assert.That(result.Usage?.InputTokenCount, Is.GreaterThan(Texts.Length * 2));

        GeneratedEmbeddings<Embedding<float>> cut = await generator.GenerateAsync([Texts[1]], new() { Dimensions = 128 });
        RunningServer.AssertClose(embedder.Embed([Texts[1]], new EmbedOptions { Dimensions = 128 })[0], cut[0].Vector.ToArray(), 1e-6f, "dimensions 128");
    }
}
