// Using the BertSharp package: load a model, embed sentences, compare them.
// usage: EmbedSample MODEL SENTENCE_A SENTENCE_B [SENTENCE ...]   (MODEL: a model folder or a hub id)
using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Extensions.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: EmbedSample MODEL SENTENCE_A SENTENCE_B [SENTENCE ...]");
    Console.Error.WriteLine("  MODEL: a Hugging Face model folder or hub id, e.g. sentence-transformers/all-MiniLM-L6-v2");
    return 2;
}

SentenceEmbedder embedder;
try
{
    embedder = SentenceEmbedder.Load(args[0]);              // the folder's sentence-transformers recipe
}
catch (Exception e)
{
    Console.Error.WriteLine($"EmbedSample: cannot load model '{args[0]}': {e.Message}");
    return 1;
}

string[] sentences = args[1..];
float[][] vectors = embedder.Embed(sentences);                // one vector per sentence, in order
Console.WriteLine($"dimension: {vectors[0].Length}");
Console.WriteLine($"similarity: {embedder.Similarity(sentences[0], sentences[1])}");

// The same through Microsoft.Extensions.AI (package BertSharp.Extensions.AI), as Semantic Kernel would call it.
var services = new ServiceCollection().AddBertSharpEmbeddingGenerator(args[0]);
using (ServiceProvider provider = services.BuildServiceProvider())
{
    var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
    GeneratedEmbeddings<Embedding<float>> generated = await generator.GenerateAsync(sentences);
    float maxDiff = 0;
    for (int i = 0; i < sentences.Length; i++)
        for (int j = 0; j < vectors[i].Length; j++)
            maxDiff = Math.Max(maxDiff, Math.Abs(generated[i].Vector.Span[j] - vectors[i][j]));
    Console.WriteLine($"generator: {generated.Count} embeddings from {generated[0].ModelId}, " +
                      $"{generated.Usage?.InputTokenCount} tokens, max |diff| {maxDiff}");
}

using var stdout = Console.OpenStandardOutput();
for (int i = 0; i < sentences.Length; i++)
{
    using var json = new Utf8JsonWriter(stdout);              // {"text": ..., "embedding": [...]}
    json.WriteStartObject();
    json.WriteString("text", sentences[i]);
    json.WriteStartArray("embedding");
    foreach (float x in vectors[i]) json.WriteNumberValue(x);
    json.WriteEndArray();
    json.WriteEndObject();
    json.Flush();
    stdout.WriteByte((byte)'\n');
}
return 0;
