using BertSharp.Tokenization;

namespace BertSharp.Tests.Tokenization;

/// <summary>
/// The WordPiece vocabulary is stored once (token -> id table whose token array is also id -> token): every id with a
/// token must come back through TokenToId, ids hidden by a later duplicate stay hidden, and a malformed vocab entry
/// is still named exactly. Each case runs on the fused BERT path and on the composed pipeline (an lstrip added token
/// sends a WordPiece tokenizer.json there).
/// </summary>
public class VocabularyRoundTripTests
{
    private const string PipelineFind = "{\"id\": 4, \"content\": \"[MASK]\", \"single_word\": false, \"lstrip\": false";
    private const string PipelineReplace = "{\"id\": 4, \"content\": \"[MASK]\", \"single_word\": false, \"lstrip\": true";

    private static string Json(bool pipeline, Func<string, string>? patch = null) =>
        TinyTokenizer.TokenizerJson(patch: j =>
        {
            if (pipeline)
            {
                Assert.That(j, Does.Contain(PipelineFind));
                j = j.Replace(PipelineFind, PipelineReplace, StringComparison.Ordinal);
            }
            return patch is null ? j : patch(j);
        });

    /// <summary>Every id that has a token maps back to itself; returns how many ids have none.</summary>
    private static int AssertRoundTrip(BertTokenizer tok)
    {
        int hidden = 0;
        for (int id = 0; id < tok.VocabSize; id++)
        {
            if (tok.IdToToken(id) is not { } token) { hidden++; continue; }
            Assert.That(tok.TokenToId(token), Is.EqualTo(id), $"id {id} '{token}'");
        }
        return hidden;
    }

    [Test]
    public void MiniLmEveryIdRoundTrips()
    {
        var tok = BertTokenizer.FromDirectory(SharedData.Require("models/all-MiniLM-L6-v2"));
        Assert.That(tok.VocabSize, Is.EqualTo(30522));
        Assert.That(AssertRoundTrip(tok), Is.Zero);
        Assert.That(tok.IdToToken(1012), Is.EqualTo("."));
        Assert.That(tok.TokenToId("##ing"), Is.EqualTo(2075));
        Assert.That(tok.TokenToId("ing"), Is.Not.EqualTo(2075), "a continuation piece is not found without its prefix");
    }

    [Test]
    public void MiniLmTokenStringsAreHeldOnce()
    {
        var tok = BertTokenizer.FromDirectory(SharedData.Require("models/all-MiniLM-L6-v2"));
        // The vocabulary lists ids 0..n-1 in order, so its token array is the id -> token array: IdToToken returns
        // the very strings the token -> id table compares against, not copies.
        Assert.That(tok.Model.Vocab.TryGetTokensById(out string[] byId), Is.True);
        Assert.That(byId, Has.Length.EqualTo(tok.VocabSize));
        for (int id = 0; id < byId.Length; id++)
            Assert.That(ReferenceEquals(tok.IdToToken(id), byId[id]), Is.True, $"id {id} '{byId[id]}'");
    }

    [Test]
    public void ChineseVocabDuplicatesAreHiddenOnBothLoaders()
    {
        string dir = SharedData.Require("golden/tokenizer/chinese");
        var fromVocab = BertTokenizer.FromVocabFile(dir);
        var fromJson = BertTokenizer.FromTokenizerJson(Path.Combine(dir, "tokenizer.json"));
        // 53 duplicate lines in vocab.txt: the earlier line's id has no token (the README of golden/tokenizer).
        Assert.That(AssertRoundTrip(fromVocab), Is.EqualTo(53));
        Assert.That(AssertRoundTrip(fromJson), Is.EqualTo(53));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void TinyTokenizerEveryIdRoundTrips(bool pipeline)
    {
        using var dir = new TinyTokenizer(tokenizerJson: Json(pipeline));
        var tok = dir.Load();
        Assert.That(tok.VocabSize, Is.EqualTo(TinyTokenizer.DefaultVocab.Length));
        Assert.That(AssertRoundTrip(tok), Is.Zero);
        for (int id = 0; id < TinyTokenizer.DefaultVocab.Length; id++) Assert.That(tok.IdToToken(id), Is.EqualTo(TinyTokenizer.DefaultVocab[id]));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void RepeatedJsonKeyTakesTheLaterIdAndHidesTheEarlier(bool pipeline)
    {
        using var dir = new TinyTokenizer(tokenizerJson: Json(pipeline, j => j.Replace("\"world\": 6", "\"world\": 6, \"hello\": 25", StringComparison.Ordinal)));
        var tok = dir.Load();
        Assert.That(tok.VocabSize, Is.EqualTo(26));
        Assert.That(tok.TokenToId("hello"), Is.EqualTo(25));
        Assert.That(tok.IdToToken(5), Is.Null);
        Assert.That(tok.IdToToken(25), Is.EqualTo("hello"));
        Assert.That(tok.Encode("hello world").Ids, Is.EqualTo(new[] { 2, 25, 6, 3 }));
        Assert.That(AssertRoundTrip(tok), Is.EqualTo(1));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void TwoTokensSharingAnIdBothMapToIt(bool pipeline)
    {
        using var dir = new TinyTokenizer(tokenizerJson: Json(pipeline, j => j.Replace("\"world\": 6", "\"world\": 6, \"hi\": 5", StringComparison.Ordinal)));
        var tok = dir.Load();
        Assert.That(tok.VocabSize, Is.EqualTo(TinyTokenizer.DefaultVocab.Length));
        Assert.That((tok.TokenToId("hello"), tok.TokenToId("hi")), Is.EqualTo((5, 5)));
        Assert.That(tok.IdToToken(5), Is.EqualTo("hi"), "the later entry names the id (Hugging Face: whichever its HashMap yields)");
        Assert.That(tok.Encode("hi hello").Ids, Is.EqualTo(new[] { 2, 5, 5, 3 }));
    }

    [TestCase(false, "\"hello\": \"5\"", "model.vocab[\"hello\"] must be a 32-bit integer, got \"5\"")]
    [TestCase(false, "\"hello\": 5.5", "model.vocab[\"hello\"] must be a 32-bit integer, got 5.5")]
    [TestCase(false, "\"hello\": -5", "model.vocab[\"hello\"] id must not be negative, got -5")]
    [TestCase(true, "\"hello\": 4294967296", "model.vocab[\"hello\"] must be a 32-bit integer, got 4294967296")]
    [TestCase(true, "\"hello\": -5", "model.vocab[\"hello\"] id must not be negative, got -5")]
    public void BadVocabEntryIsNamedWithTheFile(bool pipeline, string replace, string expected)
    {
        using var dir = new TinyTokenizer(tokenizerJson: Json(pipeline, j => j.Replace("\"hello\": 5", replace, StringComparison.Ordinal)));
        string file = Path.Combine(dir.Directory, "tokenizer.json");
        Assert.That(() => dir.Load(), Throws.TypeOf<TokenizerException>().With.Message.EqualTo($"{file}: {expected}"));
    }
}
