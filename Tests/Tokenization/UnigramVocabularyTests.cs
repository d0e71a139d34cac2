using BertSharp.Tokenization;

namespace BertSharp.Tests.Tokenization;

/// <summary>
/// The Unigram model's vocabulary: a repeated piece maps to its last id (as the Rust token_to_ids), each id keeps its
/// own piece text, and a malformed entry is named by its index.
/// </summary>
public class UnigramVocabularyTests
{
    private static BertTokenizer Load(string vocab, out string path)
    {
        string dir = Path.Combine(Path.GetTempPath(), "bertsharp-unigram-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        path = Path.Combine(dir, "tokenizer.json");
        File.WriteAllText(path, $$$"""{"version": "1.0", "model": {"type": "Unigram", "unk_id": 0, "vocab": {{{vocab}}}}}""");
        try { return BertTokenizer.FromTokenizerJson(path); }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void RepeatedPieceTakesItsLastIdAndScore()
    {
        // "a" is ids 1 and 3: id 3 (score -3) wins, so "ab" = a + b (-5) beats the piece "ab" (-10).
        var tok = Load("""[["<unk>", 0], ["a", -1], ["b", -2], ["a", -3], ["ab", -10]]""", out _);
        Assert.That(tok.VocabSize, Is.EqualTo(5));
        Assert.That(tok.TokenToId("a"), Is.EqualTo(3));
        Assert.That((tok.IdToToken(1), tok.IdToToken(3)), Is.EqualTo(("a", "a")));
        Assert.That(tok.Encode("ab").Ids, Is.EqualTo(new[] { 3, 2 }));
        Assert.That(tok.Encode("abab").Tokens, Is.EqualTo(new[] { "a", "b", "a", "b" }));
        for (int id = 0; id < tok.VocabSize; id++)
            if (id != 1) Assert.That(tok.TokenToId(tok.IdToToken(id)!), Is.EqualTo(id), $"id {id}");
    }

    [Test]
    public void EveryPieceOfAListInIdOrderRoundTrips()
    {
        var tok = Load("""[["<unk>", 0], ["a", -1], ["b", -2], ["ab", -1.5]]""", out _);
        for (int id = 0; id < tok.VocabSize; id++) Assert.That(tok.TokenToId(tok.IdToToken(id)!), Is.EqualTo(id), $"id {id}");
        Assert.That(tok.Encode("ab").Ids, Is.EqualTo(new[] { 3 }));
    }

    [TestCase("""[["<unk>", 0], ["a", -1], ["b"]]""", "model.vocab[2] must be [piece, score]")]
    [TestCase("""[["<unk>", 0], [1, -1]]""", "model.vocab[1] must be [piece, score]")]
    public void BadEntryIsNamedByItsIndex(string vocab, string expected)
    {
        string path = "";
        Assert.That(() => Load(vocab, out path), Throws.TypeOf<TokenizerException>().With.Message.EndsWith(expected));
        Assert.That(() => Load(vocab, out path), Throws.TypeOf<TokenizerException>().With.Message.Contains("tokenizer.json"));
    }
}
