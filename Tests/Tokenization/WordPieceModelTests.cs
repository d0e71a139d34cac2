using BertSharp.Tokenization;

namespace BertSharp.Tests.Tokenization;

public class WordPieceModelTests
{
    private struct ListSink : IPieceSink
    {
        public List<(int Id, int Start, int End)> Pieces;
        public readonly int Count => Pieces.Count;
        public void Add(int id, int start, int end) => Pieces.Add((id, start, end));
        public void Truncate(int count) => Pieces.RemoveRange(count, Pieces.Count - count);
    }

    private static WordPieceModel Model(int maxChars = 100) => new(
        new VocabTable(new Dictionary<string, int> { ["[UNK]"] = 0, ["un"] = 1, ["##aff"] = 2, ["##able"] = 3, ["a"] = 4, ["##b"] = 5, ["😀"] = 6, ["##😀"] = 7, ["una"] = 8, ["##ff"] = 9 }),
        "[UNK]", "##", maxChars, "test");

    private static List<(int Id, int Start, int End)> Split(WordPieceModel model, string word)
    {
        var sink = new ListSink { Pieces = new() };
        model.Tokenize(word, ref sink);
        return sink.Pieces;
    }

    [Test]
    public void GreedyLongestMatchFirst()
    {
        // "una" is longer than "un", so greedy picks it; "##ff" then "##able".
        Assert.That(Split(Model(), "unaffable"), Is.EqualTo(new[] { (8, 0, 3), (9, 3, 5), (3, 5, 9) }));
        Assert.That(Split(Model(), "ab"), Is.EqualTo(new[] { (4, 0, 1), (5, 1, 2) }));
    }

    [Test]
    public void UnsplittableWordIsOneUnknownSpanningTheWord()
    {
        Assert.That(Split(Model(), "abx"), Is.EqualTo(new[] { (0, 0, 3) }));
        // Pieces of earlier words stay; only the failed word's pieces are rolled back.
        var sink = new ListSink { Pieces = new() };
        var model = Model();
        model.Tokenize("ab", ref sink);
        model.Tokenize("abbbbx", ref sink);
        Assert.That(sink.Pieces, Is.EqualTo(new[] { (4, 0, 1), (5, 1, 2), (0, 0, 6) }));
    }

    [Test]
    public void SurrogatePairsAreNeverCut() =>
        Assert.That(Split(Model(), "😀😀"), Is.EqualTo(new[] { (6, 0, 2), (7, 2, 4) }));

    [Test]
    public void WordsLongerThanMaxInputCharsAreUnknownCountingCodePoints()
    {
        Assert.That(Split(Model(maxChars: 4), "unaff"), Is.EqualTo(new[] { (0, 0, 5) }));
        Assert.That(Split(Model(maxChars: 2), "😀😀"), Is.EqualTo(new[] { (6, 0, 2), (7, 2, 4) })); // 2 code points, 4 chars
        Assert.That(Split(Model(maxChars: 1), "😀😀"), Is.EqualTo(new[] { (0, 0, 4) }));
    }

    [Test]
    public void ManyPiecesBeyondTheStackBuffer()
    {
        string word = "a" + string.Concat(Enumerable.Repeat("b", 90));
        var pieces = Split(Model(), word);
        Assert.That(pieces, Has.Count.EqualTo(91));
        Assert.That(pieces[90], Is.EqualTo((5, 90, 91)));
    }

    [Test]
    public void MissingUnknownTokenIsALoadError() =>
        Assert.That(() => new WordPieceModel(new VocabTable(new Dictionary<string, int> { ["a"] = 0 }), "[UNK]", "##", 100, "vocab.txt"),
            Throws.TypeOf<TokenizerException>().With.Message.Contains("unk_token '[UNK]'"));
}
