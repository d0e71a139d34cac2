using System.Text.Json;
using BertSharp.Tests.Support;
using BertSharp.Tokenization;

namespace BertSharp.Tests.Tokenization;

/// <summary>
/// tokenizer.json with the WordPiece vocabulary read apart (Tokenization/TokenizerJsonDocument.cs): the same table and
/// the same entry errors as reading the whole document, and the whole document whenever the file is not that plain.
/// </summary>
public class TokenizerJsonDocumentTests
{
    private static string Write(string json)
    {
        string path = Path.Combine(Path.GetTempPath(), $"bertsharp-tokjson-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string Tokenizer(string vocab, string modelHead = "\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\",", string rootTail = "") =>
        $$"""
        {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
         "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
         "pre_tokenizer": {"type": "BertPreTokenizer"}, "post_processor": null, "decoder": null,
         "model": { {{modelHead}} "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": {{vocab}} } {{rootTail}} }
        """;

    /// <summary>The table read apart equals the one read from the whole document, id for id.</summary>
    [Test]
    public void TheVocabularyReadApartEqualsTheWholeDocumentsOne()
    {
        string path = Path.Combine(SharedData.Require("models/all-MiniLM-L6-v2"), "tokenizer.json");
        using var apart = TokenizerJsonDocument.Parse(path);
        Assert.That(apart.HasVocabularyApart, Is.True);
        Assert.That(apart.Document.RootElement.GetProperty("model").GetProperty("vocab").GetPropertyCount(), Is.Zero, "the document sees an empty object");
        using var whole = JsonDocument.Parse(File.ReadAllBytes(path));
        var f = new JsonFields(path);
        VocabTable expected = f.VocabObject(whole.RootElement.GetProperty("model").GetProperty("vocab"), "model.vocab");
        VocabTable actual = apart.Vocabulary;
        Assert.That(actual.Count, Is.EqualTo(expected.Count));
        foreach (var entry in whole.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject())
        {
            Assert.That(actual.TryGetValue(entry.Name, out int id), Is.True, entry.Name);
            Assert.That(expected.TryGetValue(entry.Name, out int e), Is.True);
            if (id != e) Assert.Fail($"'{entry.Name}': {id} apart, {e} whole");
        }
        Assert.That(apart.WholeRoot().GetProperty("model").GetProperty("vocab").GetPropertyCount(), Is.EqualTo(expected.Count), "the pipeline loader gets the whole file");
    }

    [TestCase("{\"[UNK]\": 0, \"a\": \"1\"}")]
    [TestCase("{\"[UNK]\": 0, \"a\": 1.5}")]
    [TestCase("{\"[UNK]\": 0, \"a\": -3}")]
    [TestCase("{\"[UNK]\": 0, \"a\": true}")]
    [TestCase("{\"[UNK]\": 0, \"a\": null}")]
    [TestCase("{\"[UNK]\": 0, \"a\": {\"x\": 1}}")]
    [TestCase("{\"[UNK]\": 0, \"a\": [1]}")]
    [TestCase("{\"[UNK]\": 0, \"a\": 3000000000}")]
    [TestCase("{\"[UNK]\": 0, \"a\": \"a very long string value that goes on past forty characters\", \"b\": -1}")]
    public void ABadEntryGivesTheWholeDocumentsMessage(string vocab)
    {
        string path = Write(Tokenizer(vocab));
        try
        {
            using var apart = TokenizerJsonDocument.Parse(path);
            Assert.That(apart.HasVocabularyApart, Is.True);
            var fromApart = Assert.Throws<TokenizerException>(() => _ = apart.Vocabulary)!;
            using var whole = JsonDocument.Parse(File.ReadAllBytes(path));
            var fromWhole = Assert.Throws<TokenizerException>(() =>
                new JsonFields(path).VocabObject(whole.RootElement.GetProperty("model").GetProperty("vocab"), "model.vocab"))!;
            Assert.That(fromApart.Message, Is.EqualTo(fromWhole.Message));
            var fromLoad = Assert.Throws<TokenizerException>(() => BertTokenizer.FromTokenizerJson(path))!;
            Assert.That(fromLoad.Message, Is.EqualTo(fromWhole.Message));
        }
        finally { File.Delete(path); }
    }

    [TestCase("{\"[UNK]\": 0, \"a\\ud800\": 1}", Description = "a lone surrogate escape in a key")]
    public void AKeyThatDoesNotDecodeIsAClearError(string vocab)
    {
        string path = Write(Tokenizer(vocab));
        try
        {
            var e = Assert.Throws<TokenizerException>(() => BertTokenizer.FromTokenizerJson(path))!;
            Assert.That(e.Message, Does.StartWith(path + ": model.vocab has a key that is not valid text"));
            using var whole = JsonDocument.Parse(File.ReadAllBytes(path));
            var fromWhole = Assert.Throws<TokenizerException>(() =>
                new JsonFields(path).VocabObject(whole.RootElement.GetProperty("model").GetProperty("vocab"), "model.vocab"))!;
            Assert.That(e.Message, Is.EqualTo(fromWhole.Message), "the same message from both readers");
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void ARepeatedKeyKeepsItsLastIdAndTheSizeFollowsTheIdsKept()
    {
        string path = Write(Tokenizer("{\"[UNK]\": 0, \"a\": 5, \"a\": 1}"));
        try
        {
            var tok = BertTokenizer.FromTokenizerJson(path);
            Assert.That(tok.TokenToId("a"), Is.EqualTo(1));
            Assert.That(tok.VocabSize, Is.EqualTo(2), "id 5 was given up by the later key (Hugging Face: get_vocab_size() == 2)");
        }
        finally { File.Delete(path); }
    }

    [TestCase("\"unk_token\": \"[UNK]\",", "", Description = "no model type")]
    [TestCase("\"type\": \"WordLevel\", \"unk_token\": \"[UNK]\",", "", Description = "another model")]
    [TestCase("\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\",", ", \"model\": {\"type\": \"WordPiece\"}", Description = "two model keys")]
    public void AFileThatIsNotPlainIsReadWhole(string modelHead, string rootTail)
    {
        string path = Write(Tokenizer("{\"[UNK]\": 0, \"a\": 1}", modelHead, rootTail));
        try
        {
            using var doc = TokenizerJsonDocument.Parse(path);
            Assert.That(doc.HasVocabularyApart, Is.False);
            Assert.That(doc.WholeRoot().GetProperty("model").ValueKind, Is.EqualTo(JsonValueKind.Object));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void InvalidUtf8IsAClearErrorNamingTheByte()
    {
        string path = Write(Tokenizer("{\"[UNK]\": 0, \"abc\": 1}"));
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            int at = bytes.AsSpan().IndexOf("abc"u8) + 1;
            bytes[at] = 0xFF;
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<TokenizerException>(() => BertTokenizer.FromTokenizerJson(path))!;
            Assert.That(e.Message, Is.EqualTo($"{path}: not valid UTF-8 (invalid byte sequence at byte {at})"));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void InvalidJsonReadsAsBefore()
    {
        string path = Write(Tokenizer("{\"[UNK]\": 0, \"a\": 1,}"));
        try
        {
            var e = Assert.Throws<TokenizerException>(() => TokenizerJsonDocument.Parse(path))!;
            Assert.That(e.Message, Does.StartWith(path + ": invalid JSON:"));
        }
        finally { File.Delete(path); }
    }
}
