using System.Text.Json;
using BertSharp.Tokenization;
using BertSharp.Tokenization.Decoders;
using BertSharp.Tokenization.Models;
using BertSharp.Tokenization.Pipeline;
using BertSharp.Tokenization.PostProcessors;
using BertSharp.Tokenization.PreTokenizers;

namespace BertSharp.Tests.Tokenization;

/// <summary>
/// The byte-level BPE components on their own (no shared data): the GPT-2 pattern, the byte alphabet, the BPE merge
/// order, unk/byte-fallback/affix handling, offset trimming, the decoders and the JSON errors. Expected values follow
/// the Rust sources (pre_tokenizers/byte_level.rs, models/bpe/{model,word}.rs) and their unit tests.
/// </summary>
public class ByteLevelBpeTests
{
    private static string[] Split(string text)
    {
        var ends = new int[text.Length];
        int n = Gpt2Pattern.Split(text, ends);
        var result = new string[n];
        for (int i = 0, start = 0; i < n; start = ends[i], i++) result[i] = text[start..ends[i]];
        return result;
    }

    [Test]
    public void Gpt2PatternSplitsLikeTheRustTest()
    {
        Assert.That(Split("Hello my friend, how is your day going?"),
            Is.EqualTo(new[] { "Hello", " my", " friend", ",", " how", " is", " your", " day", " going", "?" }));
    }

    [TestCase("  hello  world", new[] { " ", " hello", " ", " world" })]
    [TestCase("a  ", new[] { "a", "  " })]
    [TestCase(" \t\n ", new[] { " \t\n " })]
    [TestCase("x \t y", new[] { "x", " \t", " y" })]
    [TestCase("I'm don't You'RE it's'll", new[] { "I", "'m", " don", "'t", " You", "'", "RE", " it", "'s", "'ll" })]
    [TestCase("abc123 45 ½", new[] { "abc", "123", " 45", " ½" })]
    [TestCase("🙂!? x", new[] { "🙂!?", " x" })]
    [TestCase("\U0001D400b\u3000c", new[] { "\U0001D400b", "\u3000", "c" })]
    [TestCase("''s", new[] { "''", "s" })]
    public void Gpt2PatternCases(string text, string[] expected) => Assert.That(Split(text), Is.EqualTo(expected));

    [Test]
    public void Gpt2PatternLettersAreUnicode16()
    {
        // U+1C89 (CYRILLIC CAPITAL LETTER TJE) is a letter from Unicode 16.0; U+088F is one only from 17.0 (Oniguruma: other).
        Assert.That(UnicodeTables.GetRegexClass(0x1C89), Is.EqualTo(RegexClass.Letter));
        Assert.That(UnicodeTables.GetRegexClass(0x088F), Is.EqualTo(RegexClass.Other));
        Assert.That(UnicodeTables.GetRegexClass(0x0085), Is.EqualTo(RegexClass.Whitespace));
        Assert.That(UnicodeTables.GetRegexClass(0x00B2), Is.EqualTo(RegexClass.Number));
        Assert.That(UnicodeTables.RegexClassUnicodeVersion, Is.EqualTo("16.0.0"));
    }

    [Test]
    public void AlphabetIsGpt2s()
    {
        Assert.That(ByteLevelAlphabet.ByteToChar[' '], Is.EqualTo('Ġ'));
        Assert.That(ByteLevelAlphabet.ByteToChar['\n'], Is.EqualTo('Ċ'));
        Assert.That(ByteLevelAlphabet.ByteToChar['a'], Is.EqualTo('a'));
        Assert.That(ByteLevelAlphabet.ByteToChar[0xA0], Is.EqualTo('\u0142'));
        Assert.That(ByteLevelAlphabet.ByteToChar[0xAD], Is.EqualTo('\u0143'));
        Assert.That(ByteLevelAlphabet.ByteToChar.Distinct().Count(), Is.EqualTo(256));
        for (int b = 0; b < 256; b++) Assert.That(ByteLevelAlphabet.ToByte(ByteLevelAlphabet.ByteToChar[b]), Is.EqualTo(b));
        Assert.That(ByteLevelAlphabet.ToByte('€'), Is.EqualTo(-1));
    }

    private sealed class Collect : IPieceWriter
    {
        public readonly List<(string Text, List<(int, int)> Spans)> Pieces = new();
        public void BeginPiece(int origin) => Pieces.Add(("", new()));
        public void Append(char c, int start, int end)
        {
            var (t, s) = Pieces[^1];
            s.Add((start, end));
            Pieces[^1] = (t + c, s);
        }
        public void EndPiece() { if (Pieces[^1].Text.Length == 0) Pieces.RemoveAt(Pieces.Count - 1); }
    }

    private static Collect PreTokenize(ByteLevelPreTokenizer p, string text)
    {
        var start = Enumerable.Range(0, text.Length).ToArray();
        var end = Enumerable.Range(1, text.Length).ToArray();
        var c = new Collect();
        p.PreTokenize(text, start, end, ref c);
        return c;
    }

    [Test]
    public void PreTokenizerMapsBytesAndKeepsEachCharsSpan()
    {
        var c = PreTokenize(new ByteLevelPreTokenizer(false, true, true), "é 🙂");
        Assert.That(c.Pieces.Select(p => p.Text), Is.EqualTo(new[] { "Ã©", "ĠðŁĻĤ" }));
        Assert.That(c.Pieces[0].Spans, Is.EqualTo(new[] { (0, 1), (0, 1) }));
        Assert.That(c.Pieces[1].Spans, Is.EqualTo(new[] { (1, 2), (2, 4), (2, 4), (2, 4), (2, 4) }));
    }

    [Test]
    public void PrefixSpaceTakesTheFirstCharsSpan()
    {
        var c = PreTokenize(new ByteLevelPreTokenizer(true, true, true), "hi you");
        Assert.That(c.Pieces.Select(p => p.Text), Is.EqualTo(new[] { "Ġhi", "Ġyou" }));
        Assert.That(c.Pieces[0].Spans[0], Is.EqualTo((0, 1)));
        Assert.That(PreTokenize(new ByteLevelPreTokenizer(true, true, true), " hi").Pieces.Select(p => p.Text), Is.EqualTo(new[] { "Ġhi" }));
        Assert.That(PreTokenize(new ByteLevelPreTokenizer(false, true, false), "a b").Pieces.Select(p => p.Text), Is.EqualTo(new[] { "aĠb" }));
    }

    private sealed class Sink : IPieceSink
    {
        public readonly List<(int Id, int Start, int End)> Tokens = new();
        public int Count => Tokens.Count;
        public void Add(int id, int start, int end) => Tokens.Add((id, start, end));
        public void Truncate(int count) => Tokens.RemoveRange(count, Tokens.Count - count);
    }

    private static List<(int Id, int Start, int End)> Run(BpeModel model, string piece)
    {
        var sink = new Sink();
        model.Tokenize(piece, ref sink);
        // Twice: the second call comes from the cache and must agree.
        var again = new Sink();
        model.Tokenize(piece, ref again);
        Assert.That(again.Tokens, Is.EqualTo(sink.Tokens), "cached result differs");
        return sink.Tokens;
    }

    private static Dictionary<string, int> Vocab(params string[] tokens) =>
        tokens.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);

    [Test]
    public void LowestRankMergesFirst()
    {
        var vocab = Vocab("a", "b", "c", "ab", "bc", "abc");
        var byAb = new BpeModel(vocab, [("a", "b"), ("b", "c"), ("ab", "c")], "test");
        Assert.That(Run(byAb, "abc"), Is.EqualTo(new[] { (5, 0, 3) }));
        var byBc = new BpeModel(vocab, [("b", "c"), ("a", "bc")], "test");
        Assert.That(Run(byBc, "abc"), Is.EqualTo(new[] { (5, 0, 3) }));
        var onlyBc = new BpeModel(vocab, [("b", "c"), ("a", "b")], "test");
        Assert.That(Run(onlyBc, "abc"), Is.EqualTo(new[] { (0, 0, 1), (4, 1, 3) }));
    }

    [Test]
    public void EqualRanksMergeLeftmostFirst()
    {
        var model = new BpeModel(Vocab("a", "aa"), [("a", "a")], "test");
        Assert.That(Run(model, "aaa"), Is.EqualTo(new[] { (1, 0, 2), (0, 2, 3) }));
        Assert.That(Run(model, "aaaa"), Is.EqualTo(new[] { (1, 0, 2), (1, 2, 4) }));
    }

    [Test]
    public void UnknownCharsBecomeUnkFusedOrNot()
    {
        var vocab = Vocab("<unk>", "a");
        Assert.That(Run(new BpeModel(vocab, [], "test", unkToken: "<unk>", fuseUnk: true), "xxa"), Is.EqualTo(new[] { (0, 0, 2), (1, 2, 3) }));
        Assert.That(Run(new BpeModel(vocab, [], "test", unkToken: "<unk>"), "xxa"), Is.EqualTo(new[] { (0, 0, 1), (0, 1, 2), (1, 2, 3) }));
        Assert.That(Run(new BpeModel(vocab, [], "test", unkToken: "<unk>", fuseUnk: true), "x🙂"), Is.EqualTo(new[] { (0, 0, 3) }));
    }

    [Test]
    public void ByteFallbackGivesEachByteItsCharsSpan()
    {
        var vocab = Vocab("<unk>", "a", "<0xC3>", "<0xA9>");
        Assert.That(Run(new BpeModel(vocab, [], "test", unkToken: "<unk>", byteFallback: true), "aé"),
            Is.EqualTo(new[] { (1, 0, 1), (2, 1, 2), (3, 1, 2) }));
        // A byte missing from the vocabulary: the char is unk.
        Assert.That(Run(new BpeModel(vocab, [], "test", unkToken: "<unk>", byteFallback: true), "aè"),
            Is.EqualTo(new[] { (1, 0, 1), (0, 1, 2) }));
    }

    [Test]
    public void WithoutUnkAnUnknownCharIsDroppedAndLaterSpansShiftAsInRust()
    {
        // Rust spans are cumulative byte lengths of the kept symbols: after the dropped 2-byte 'é', 'b' gets bytes 1..2 (inside 'é').
        var model = new BpeModel(Vocab("a", "b"), [], "test");
        Assert.That(Run(model, "aéb"), Is.EqualTo(new[] { (0, 0, 1), (1, 1, 2) }));
    }

    [Test]
    public void PrefixAndSuffixAreLookedUpAndMerged()
    {
        var vocab = Vocab("a", "##b", "##c</w>", "ab", "ab##c</w>", "abc</w>");
        var model = new BpeModel(vocab, [("a", "##b"), ("ab", "##c</w>")], "test", continuingSubwordPrefix: "##", endOfWordSuffix: "</w>");
        Assert.That(Run(model, "abc"), Is.EqualTo(new[] { (5, 0, 3) }));
    }

    [Test]
    public void IgnoreMergesTakesAWholePieceFromTheVocabulary()
    {
        var vocab = Vocab("a", "b", "ab", "ba", "aba");
        var merges = new List<(string, string)> { ("a", "b"), ("b", "a") };
        Assert.That(Run(new BpeModel(vocab, merges, "test", ignoreMerges: true), "aba"), Is.EqualTo(new[] { (4, 0, 3) }));
        Assert.That(Run(new BpeModel(vocab, merges, "test"), "aba"), Is.EqualTo(new[] { (2, 0, 2), (0, 2, 3) }));
    }

    [TestCase("ab  cd", "Ġ", 3, 4, false, false, 4, 4)]         // whitespace-only token: empty span at its end
    [TestCase(" hello", "Ġhello", 0, 6, true, false, 1, 6)]
    [TestCase(" hello", "Ġhello", 0, 6, true, true, 0, 6)]       // first token, add_prefix_space: the added space stays
    [TestCase("a  hello", "ĠĠhello", 1, 8, false, true, 3, 8)]
    [TestCase("ab ", "bĠ", 1, 3, false, false, 1, 2)]
    public void TrimMovesPastSpaces(string original, string token, int start, int end, bool first, bool addPrefixSpace,
        int expectedStart, int expectedEnd)
    {
        ByteLevelOffsets.Trim(original, token, first, addPrefixSpace, ref start, ref end);
        Assert.That((start, end), Is.EqualTo((expectedStart, expectedEnd)));
    }

    [Test]
    public void TrimCountsCodePointsNotUtf16Units()
    {
        // Prefix space aligned to a non-BMP first char (2 UTF-16 units): trimming one char moves past both units.
        int start = 0, end = 2;
        ByteLevelOffsets.Trim("🙂", "Ġ", isFirstToken: false, addPrefixSpace: false, ref start, ref end);
        Assert.That((start, end), Is.EqualTo((2, 2)));
        start = 5; end = 12;
        ByteLevelOffsets.Trim("Hello\u3000<mask>", "\u3000<mask>", false, false, ref start, ref end);
        Assert.That((start, end), Is.EqualTo((6, 12)));
    }

    [Test]
    public void ByteLevelDecoderJoinsBytesLossily()
    {
        var tokens = new List<string> { "Hello", "Ġw", "orld", "ðŁ", "ĻĤ", " <mask>" };
        ByteLevelDecoder.Instance.DecodeChain(tokens);
        Assert.That(tokens, Is.EqualTo(new[] { "Hello world🙂 <mask>" }));
        var broken = new List<string> { "ðŁ", "a" };
        ByteLevelDecoder.Instance.DecodeChain(broken);
        Assert.That(broken, Is.EqualTo(new[] { "\uFFFDa" }));
    }

    [Test]
    public void BpeDecoderTurnsTheSuffixIntoSpaces()
    {
        var tokens = new List<string> { "hel", "lo</w>", "wor", "ld</w>" };
        new BpeDecoder("</w>").DecodeChain(tokens);
        Assert.That(string.Concat(tokens), Is.EqualTo("hello world"));
    }

    private static string Json(string model, string rest = "") =>
        "{\"version\":\"1.0\",\"added_tokens\":[],\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":true}," +
        "\"post_processor\":null,\"decoder\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":true,\"use_regex\":true}" + rest +
        ",\"model\":" + model + "}";

    private static string Model(string extra = "", string merges = "[[\"a\",\"b\"]]") =>
        "{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":null,\"continuing_subword_prefix\":\"\",\"end_of_word_suffix\":\"\",\"fuse_unk\":false,\"byte_fallback\":false,\"ignore_merges\":false" + extra +
        ",\"vocab\":{\"a\":0,\"b\":1,\"ab\":2,\"Ġ\":3},\"merges\":" + merges + "}";

    private static BertTokenizer LoadJson(string json)
    {
        string dir = Path.Combine(Path.GetTempPath(), "bertsharp-bpe-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json);
            return BertTokenizer.FromTokenizerJson(Path.Combine(dir, "tokenizer.json"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void PairAndLegacyMergesGiveTheSameTokens()
    {
        var pairs = LoadJson(Json(Model()));
        var legacy = LoadJson(Json(Model(merges: "[\"a b\"]")));
        foreach (var t in new[] { pairs, legacy })
        {
            var e = t.Encode("ab a");
            Assert.That(e.Ids, Is.EqualTo(new[] { 2, 3, 0 }));
            Assert.That(e.Tokens, Is.EqualTo(new[] { "ab", "Ġ", "a" }));
            Assert.That(t.Decode(e.Ids), Is.EqualTo("ab a"));
        }
    }

    [TestCase(",\"dropout\":0.1", "model.dropout")]
    [TestCase(",\"cache_capacity\":5", "model.cache_capacity")]
    public void BadModelSettingsNameTheirPath(string extra, string path)
    {
        string json = Json(Model().Replace("\"dropout\":null,", "") .Replace("\"type\":\"BPE\"", "\"type\":\"BPE\"" + extra));
        var ex = Assert.Throws<TokenizerException>(() => LoadJson(json));
        Assert.That(ex!.Message, Does.Contain(path));
    }

    [Test]
    public void MergeOutOfVocabularyNamesTheMerge()
    {
        var ex = Assert.Throws<TokenizerException>(() => LoadJson(Json(Model(merges: "[[\"a\",\"b\"],[\"b\",\"a\"]]"))));
        Assert.That(ex!.Message, Does.Contain("model.merges[1]").And.Contain("'ba'"));
        ex = Assert.Throws<TokenizerException>(() => LoadJson(Json(Model(merges: "[\"a b c\"]"))));
        Assert.That(ex!.Message, Does.Contain("model.merges[0]"));
    }

    [Test]
    public void UnknownByteLevelSettingNamesItsPath()
    {
        string json = Json(Model()).Replace("\"use_regex\":true},\"post_processor\"", "\"use_regex\":true,\"regex\":\"x\"},\"post_processor\"");
        var ex = Assert.Throws<TokenizerException>(() => LoadJson(json));
        Assert.That(ex!.Message, Does.Contain("pre_tokenizer.regex"));
    }
}
