using BertSharp.Tokenization;

namespace BertSharp.Tests.Tokenization;

/// <summary>
/// The WordLevel model (models/wordlevel/mod.rs): one token per pre-tokenized word, the unk token for any other word,
/// spanning the whole word; through a small tokenizer.json (Whitespace pre-tokenizer, Lowercase normalizer).
/// </summary>
public class WordLevelModelTests
{
    private static string Json(string model = "{\"type\":\"WordLevel\",\"vocab\":{\"<unk>\":0,\"hello\":1,\"world\":2,\"!\":3,\"[CLS]\":4,\"héllo\":5},\"unk_token\":\"<unk>\"}",
        string addedTokens = "[]") =>
        "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":" + addedTokens +
        ",\"normalizer\":{\"type\":\"Lowercase\"},\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,\"decoder\":null,\"model\":" + model + "}";

    [Test]
    public void WordsAndUnknownsWithOffsets()
    {
        var t = SplitPreTokenizerTests.LoadJson(Json());
        var e = t.Encode("Hello  WORLD!? héllo wörld");
        Assert.That(e.Tokens, Is.EqualTo(new[] { "hello", "world", "<unk>", "héllo", "<unk>" }));
        Assert.That(e.Ids, Is.EqualTo(new[] { 1, 2, 0, 5, 0 }));
        Assert.That(e.Offsets, Is.EqualTo(new[] { (0, 5), (7, 12), (12, 14), (15, 20), (21, 26) }));
        Assert.That(e.WordIds, Is.EqualTo(new int?[] { 0, 1, 2, 3, 4 }));
        Assert.That(t.VocabSize, Is.EqualTo(6));
        Assert.That(t.TokenToId("world"), Is.EqualTo(2));
        Assert.That(t.IdToToken(5), Is.EqualTo("héllo"));
    }

    [Test]
    public void AddedTokenIsMatchedBeforeTheModel()
    {
        var t = SplitPreTokenizerTests.LoadJson(Json(addedTokens:
            "[{\"id\":4,\"content\":\"[CLS]\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}]"));
        var e = t.Encode("[CLS]hello");
        Assert.That(e.Ids, Is.EqualTo(new[] { 4, 1 }));
        Assert.That(e.Offsets, Is.EqualTo(new[] { (0, 5), (5, 10) }));
    }

    [Test]
    public void MissingUnkIsAnErrorOnlyWhenAWordNeedsIt()
    {
        var t = SplitPreTokenizerTests.LoadJson(Json("{\"type\":\"WordLevel\",\"vocab\":{\"hello\":0},\"unk_token\":\"<unk>\"}"));
        Assert.That(t.Encode("hello hello").Ids, Is.EqualTo(new[] { 0, 0 }));
        var ex = Assert.Throws<TokenizerException>(() => t.Encode("hello there"));
        Assert.That(ex!.Message, Does.Contain("model").And.Contain("\"there\"").And.Contain("'<unk>'"));
    }

    [TestCase("{\"type\":\"WordLevel\",\"vocab\":{\"a\":0}}", "model.unk_token is missing")]
    [TestCase("{\"type\":\"WordLevel\",\"unk_token\":\"a\"}", "model.vocab is missing")]
    [TestCase("{\"type\":\"WordLevel\",\"vocab\":{\"a\":-1},\"unk_token\":\"a\"}", "model.vocab[\"a\"]")]
    [TestCase("{\"type\":\"WordLevel\",\"vocab\":{\"a\":0},\"unk_token\":\"a\",\"max\":3}", "model.max")]
    public void BadSettingsNameTheirPath(string model, string expected)
    {
        var ex = Assert.Throws<TokenizerException>(() => SplitPreTokenizerTests.LoadJson(Json(model)));
        Assert.That(ex!.Message, Does.Contain(expected));
    }
}
