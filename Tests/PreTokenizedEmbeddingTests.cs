using BertSharp.Engine;
using F = BertSharp.Tests.SentenceTransformers.SentenceTransformersFixtures;

namespace BertSharp.Tests;

/// <summary>
/// SentenceEmbedder's pre-tokenized path (Tokenize / FromIds / Embed(EncodedInput)) and left truncation: tokenize once,
/// embed the same ids, same vectors as Embed(texts); left truncation keeps [CLS], [SEP] and the end of the text.
/// </summary>
[TestFixture]
public sealed class PreTokenizedEmbeddingTests
{
    private TinyBertFolder _tiny = null!;
    private SentenceEmbedder _embedder = null!;
    private static readonly string[] Texts = ["the dog is eating", "a man", "bank of the river money", "dogs"];

    [OneTimeSetUp]
    public void SetUp()
    {
        _tiny = new TinyBertFolder();
        _embedder = new SentenceEmbedder(BertModel.Load(_tiny.Directory)) { BatchSize = 3 };
    }

    [OneTimeTearDown]
    public void TearDown() => _tiny.Dispose();

    private static void AssertRows(float[][] expected, float[][] actual, float tolerance = 1e-6f)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        for (int i = 0; i < expected.Length; i++) Assert.That(actual[i], Is.EqualTo(expected[i]).Within(tolerance), $"row {i}");
    }

    [Test]
    public void Embed_of_Tokenize_equals_Embed_of_texts()
    {
        foreach (EmbedOptions? o in new EmbedOptions?[] { null, new() { Normalize = false }, new() { Dimensions = 8 } })
        {
            EncodedInput[] encoded = _embedder.Tokenize(Texts, o);
            Assert.That(encoded.Select(e => e.Length), Is.EqualTo(Texts.Select(t => _embedder.Model.Tokenizer!.Encode(t).Ids.Length)));
            AssertRows(_embedder.Embed(Texts, o), _embedder.Embed(encoded, o));
        }
    }

    [Test]
    public void Right_truncation_of_ids_equals_the_tokenizers_truncation()
    {
        string longText = string.Join(' ', Enumerable.Repeat("money dog river", 50));
        var cut = new EmbedOptions { LongInputs = new LongInputOptions { Policy = LongInputPolicy.Truncate, MaxLength = 20 } };
        EncodedInput e = _embedder.Tokenize([longText], cut)[0];
        Assert.That((e.Length, e.Truncated), Is.EqualTo((20, true)));
        var tokenizer = _embedder.Model.Tokenizer!;
        int[] expectedIds = tokenizer.Encode(longText, null, new BertSharp.Tokenization.EncodeOptions { MaxLength = 20, Truncation = BertSharp.Tokenization.TruncationStrategy.LongestFirst }).Ids;
        Assert.That(e.Ids, Is.EqualTo(expectedIds));
        AssertRows(_embedder.Embed([longText], cut), _embedder.Embed([e], cut));
        var error = new EmbedOptions { LongInputs = new LongInputOptions { Policy = LongInputPolicy.Error, MaxLength = 20 } };
        Assert.That(() => _embedder.Tokenize(["a", longText], error),
            Throws.TypeOf<BertInputException>().With.Message.Contains("text 1 has 152 tokens").And.Message.Contains("at most 20"));
    }

    [Test]
    public void Left_truncation_keeps_the_specials_and_the_end()
    {
        var tokenizer = _embedder.Model.Tokenizer!;
        string text = "money money money money money the dog is eating food";
        int[] full = tokenizer.Encode(text).Ids;                     // [CLS] 5×money the dog is eat ##ing food [SEP]
        var left = new EmbedOptions { LongInputs = new LongInputOptions { Policy = LongInputPolicy.Truncate, MaxLength = 7, Direction = TruncationDirection.Left } };
        EncodedInput e = _embedder.Tokenize([text], left)[0];
        Assert.That(e.Ids, Is.EqualTo(new[] { full[0] }.Concat(full[^6..]).ToArray()), "[CLS] + the last 5 content tokens + [SEP]");
        Assert.That(tokenizer.Decode(e.Ids), Is.EqualTo("dog is eating food"));
        // Embed(texts) with Direction Left runs the same ids.
        float[] viaText = _embedder.Embed([text], left)[0];
        AssertRows([_embedder.Embed([new EncodedInput(e.Ids)], null)[0]], [viaText]);
        float[] right = _embedder.Embed([text], new EmbedOptions { LongInputs = new LongInputOptions { Policy = LongInputPolicy.Truncate, MaxLength = 7 } })[0];
        Assert.That(VectorMath.CosineSimilarity(viaText, right), Is.LessThan(0.999f), "left and right keep different tokens");
        // The id-level cut equals the tokenizer's truncation_side left, which BertModel.Run(texts) uses.
        Assert.That(tokenizer.Encode(text, null, new BertSharp.Tokenization.EncodeOptions
        {
            MaxLength = 7, Truncation = BertSharp.Tokenization.TruncationStrategy.LongestFirst, TruncationSide = BertSharp.Tokenization.TruncationSide.Left,
        }).Ids, Is.EqualTo(e.Ids));
        Assert.That(_embedder.Model.Run([text], null, null, left.LongInputs).Batch.Encodings![0].Ids, Is.EqualTo(e.Ids));
    }

    [Test]
    public void FromIds_runs_ids_as_given_and_checks_them()
    {
        var tokenizer = _embedder.Model.Tokenizer!;
        int[] ids = tokenizer.Encode("the dog is eating").Ids;
        EncodedInput e = _embedder.FromIds(ids);
        Assert.That(e.Ids, Is.EqualTo(ids));
        AssertRows(_embedder.Embed(["the dog is eating"]), _embedder.Embed([e], null));
        Assert.That(() => _embedder.FromIds([2, 5, 100000]), Throws.TypeOf<BertInputException>().With.Message.Contains("token id 100000 at position 2"));
        Assert.That(() => _embedder.FromIds([]), Throws.TypeOf<BertInputException>().With.Message.Contains("empty"));
        int[] longIds = [ids[0], .. Enumerable.Repeat(ids[1], 200), ids[^1]];
        Assert.That(() => _embedder.FromIds(longIds), Throws.TypeOf<BertInputException>().With.Message.Contains("202 tokens"));
        EncodedInput cut = _embedder.FromIds(longIds, new LongInputOptions { Policy = LongInputPolicy.Truncate, Direction = TruncationDirection.Left });
        Assert.That(cut.Length, Is.EqualTo(_tiny.Config.MaxPositionEmbeddings));
        Assert.That((cut.Ids[0], cut.Ids[^1]), Is.EqualTo((ids[0], ids[^1])), "special ids are kept");
    }

    [Test]
    public void Prompts_are_tokenized_with_the_text_and_pooled_as_the_recipe_says()
    {
        string dir = F.Checkpoint();
        try
        {
            F.MeanPooling(dir, normalize: false, poolingExtra: ", \"include_prompt\": false");
            File.WriteAllText(Path.Combine(dir, "config_sentence_transformers.json"), """{"prompts": {"query": "query: "}, "default_prompt_name": null}""");
            var embedder = SentenceEmbedder.Load(dir);
            var o = new EmbedOptions { PromptName = "query" };
            string[] texts = ["the cat sat", "who wrote the book"];
            EncodedInput[] encoded = embedder.Tokenize(texts, o);
            Assert.That(encoded[0].PromptLength, Is.EqualTo(embedder.PromptLength("query: ")));
            AssertRows(embedder.Embed(texts, o), embedder.Embed(encoded, o));
            Assert.That(() => embedder.Tokenize(texts, new EmbedOptions { PromptName = "nope" }), Throws.TypeOf<BertInputException>());
        }
        finally { F.Delete(dir); }
    }
}
