using BertSharp.Tokenization;
using BertSharp.Tokenization.Pipeline;
using BertSharp.Tokenization.PreTokenizers;

namespace BertSharp.Tests.Tokenization;

/// <summary>
/// The splitting pre-tokenizers WhitespaceSplit, Whitespace, Punctuation, Digits and Split. Expected pieces and offsets
/// are the Rust library's (pre_tokenizers/{whitespace,punctuation,digits,split}.rs unit tests, normalizer.rs's
/// SplitDelimiterBehavior doc example) or hand-derived from its rules (offsets in UTF-16 units here).
/// </summary>
public class SplitPreTokenizerTests
{
    internal static (string Text, int Start, int End)[] Run(IPreTokenizer pre, string text)
    {
        var input = new PreTokenizedText();
        input.BeginPiece(0);
        for (int i = 0; i < text.Length; i++) input.Append(text[i], i, i + 1);
        input.EndPiece();
        var output = new PreTokenizedText();
        if (input.Count > 0) pre.PreTokenize(input, 0, output, new PipelineScratch());
        var result = new (string, int, int)[output.Count];
        for (int p = 0; p < output.Count; p++)
        {
            int first = output.PieceStart[p], last = first + output.PieceLength[p] - 1;
            result[p] = (output.Piece(p).ToString(), output.Start[first], output.End[last]);
            Assert.That(output.PieceOrigin[p], Is.EqualTo(output.Start[first]), "piece origin");
        }
        return result;
    }

    private static string[] Texts(IPreTokenizer pre, string text) => Run(pre, text).Select(p => p.Text).ToArray();

    [Test]
    public void WhitespaceSplitLikeRust()
    {
        Assert.That(Run(WhitespaceSplitPreTokenizer.Instance, "Hey friend!     How are you?!?"), Is.EqualTo(new[]
        {
            ("Hey", 0, 3), ("friend!", 4, 11), ("How", 16, 19), ("are", 20, 23), ("you?!?", 24, 30),
        }));
        // U+0085 and U+3000 are White_Space; U+200B (Cf) is not.
        Assert.That(Texts(WhitespaceSplitPreTokenizer.Instance, "a\u0085b\u3000\u3000c\u200Bd \t"), Is.EqualTo(new[] { "a", "b", "c\u200Bd" }));
        Assert.That(Texts(WhitespaceSplitPreTokenizer.Instance, " \n "), Is.Empty);
    }

    [Test]
    public void WhitespaceLikeRust()
    {
        var w = WhitespacePreTokenizer.Instance;
        Assert.That(Run(w, "Hey man!"), Is.EqualTo(new[] { ("Hey", 0, 3), ("man", 4, 7), ("!", 7, 8) }));
        Assert.That(Run(w, "How are you doing?"), Is.EqualTo(new[] { ("How", 0, 3), ("are", 4, 7), ("you", 8, 11), ("doing", 12, 17), ("?", 17, 18) }));
        Assert.That(Run(w, "\n"), Is.Empty);
        // \w: combining mark (M), U+203F (Pc), U+1D400 (Alphabetic, astral); U+2014 (Pd) is neither \w nor \s.
        Assert.That(Run(w, "cafe\u0301\u203Fx,\u2014ok\u3000\U0001D400!"), Is.EqualTo(new[]
        {
            ("cafe\u0301\u203Fx", 0, 7), (",\u2014", 7, 9), ("ok", 9, 11), ("\U0001D400", 12, 14), ("!", 14, 15),
        }));
        // A lone surrogate reads as U+FFFD: not \w, so it joins the punctuation run; U+200D (Join_Control) is \w.
        Assert.That(Texts(w, "a\uD800.b\u200Dc"), Is.EqualTo(new[] { "a", "\uD800.", "b\u200Dc" }));
    }

    [Test]
    public void WordAndNumericTablesFollowTheirUnicodeVersions()
    {
        Assert.That(UnicodeTables.IsWordChar('_'), Is.True);
        Assert.That(UnicodeTables.IsWordChar(0x00B2), Is.False, "superscript two is No, not Nd");
        Assert.That(UnicodeTables.IsWordChar(0x2160), Is.True, "Roman numeral one is Alphabetic (Other_Alphabetic Nl)");
        Assert.That(UnicodeTables.IsWordChar(0x1C89), Is.True, "letter new in Unicode 16.0");
        Assert.That(UnicodeTables.IsWordChar(0x088F), Is.False, "letter only from Unicode 17.0");
        Assert.That(UnicodeTables.IsWordChar(0x10FFFF), Is.False);
        Assert.That(UnicodeTables.IsNumeric(0x00BD), Is.True, "vulgar fraction one half (No)");
        Assert.That(UnicodeTables.IsNumeric(0x0663), Is.True);
        Assert.That(UnicodeTables.IsNumeric('a'), Is.False);
        Assert.That(UnicodeTables.IsNumeric(0x2160), Is.True, "Nl");
    }

    [Test]
    public void PunctuationLikeRust()
    {
        var p = new PunctuationPreTokenizer(SplitBehavior.Isolated);
        Assert.That(Run(p, "Hey friend!     How are you?!?"), Is.EqualTo(new[]
        {
            ("Hey friend", 0, 10), ("!", 10, 11), ("     How are you", 11, 27), ("?", 27, 28), ("!", 28, 29), ("?", 29, 30),
        }));
        // ASCII '$' (Sc) counts, as char::is_ascii_punctuation; U+00A7 (Po) counts; U+00A2 (Sc) does not.
        Assert.That(Texts(p, "a$b\u00A7c\u00A2d"), Is.EqualTo(new[] { "a", "$", "b", "\u00A7", "c\u00A2d" }));
    }

    // normalizer.rs's SplitDelimiterBehavior doc example, "the-final--countdown" split on '-'.
    [TestCase("Removed", new[] { "the", "final", "countdown" })]
    [TestCase("Isolated", new[] { "the", "-", "final", "-", "-", "countdown" })]
    [TestCase("MergedWithPrevious", new[] { "the-", "final-", "-", "countdown" })]
    [TestCase("MergedWithNext", new[] { "the", "-final", "-", "-countdown" })]
    [TestCase("Contiguous", new[] { "the", "-", "final", "--", "countdown" })]
    public void BehaviorsLikeTheRustDoc(string name, string[] expected)
    {
        var behavior = Enum.Parse<SplitBehavior>(name);
        Assert.That(Texts(new PunctuationPreTokenizer(behavior), "the-final--countdown"), Is.EqualTo(expected));
        Assert.That(Texts(new SplitPreTokenizer(SplitPatternKind.Literal, "-", behavior, false), "the-final--countdown"), Is.EqualTo(expected));
    }

    [TestCase("MergedWithPrevious", new[] { "-", "-", "a-" })]
    [TestCase("MergedWithNext", new[] { "-", "-a", "-" })]
    [TestCase("Contiguous", new[] { "--", "a", "-" })]
    public void BehaviorsAtTheEdges(string name, string[] expected) =>
        Assert.That(Texts(new PunctuationPreTokenizer(Enum.Parse<SplitBehavior>(name)), "--a-"), Is.EqualTo(expected));

    [Test]
    public void DigitsLikeRust()
    {
        Assert.That(Run(new DigitsPreTokenizer(false), "Hey 123 friend!"), Is.EqualTo(new[] { ("Hey ", 0, 4), ("123", 4, 7), (" friend!", 7, 15) }));
        Assert.That(Run(new DigitsPreTokenizer(true), "Hey 123 friend!"), Is.EqualTo(new[]
        {
            ("Hey ", 0, 4), ("1", 4, 5), ("2", 5, 6), ("3", 6, 7), (" friend!", 7, 15),
        }));
        // char::is_numeric is all of N*: U+0663 (Nd), U+00BD (No), U+1D7CE (Nd, astral: one piece of two units).
        Assert.That(Run(new DigitsPreTokenizer(false), "x\u0663\u00BDy"), Is.EqualTo(new[] { ("x", 0, 1), ("\u0663\u00BD", 1, 3), ("y", 3, 4) }));
        Assert.That(Run(new DigitsPreTokenizer(true), "\U0001D7CE7"), Is.EqualTo(new[] { ("\U0001D7CE", 0, 2), ("7", 2, 3) }));
    }

    // split.rs's `basic` test: the regex \w+|[^\w\s]+ inverted, which is the Whitespace pre-tokenizer's pattern.
    [Test]
    public void SplitOnWhitespaceRunsLikeRust()
    {
        const string text = "How are you doing?";
        var removed = Run(new SplitPreTokenizer(SplitPatternKind.WhitespaceRuns, "", SplitBehavior.Removed, false), text);
        Assert.That(removed, Is.EqualTo(new[] { ("How", 0, 3), ("are", 4, 7), ("you", 8, 11), ("doing?", 12, 18) }));
        Assert.That(Run(new SplitPreTokenizer(SplitPatternKind.WhitespaceRuns, "", SplitBehavior.MergedWithPrevious, false), text),
            Is.EqualTo(new[] { ("How ", 0, 4), ("are ", 4, 8), ("you ", 8, 12), ("doing?", 12, 18) }));
        Assert.That(Run(new SplitPreTokenizer(SplitPatternKind.WhitespaceRuns, "", SplitBehavior.MergedWithNext, false), text),
            Is.EqualTo(new[] { ("How", 0, 3), (" are", 3, 7), (" you", 7, 11), (" doing?", 11, 18) }));
        Assert.That(Texts(new SplitPreTokenizer(SplitPatternKind.WhitespaceRuns, "", SplitBehavior.Isolated, false), "a \u3000 b  "),
            Is.EqualTo(new[] { "a", " \u3000 ", "b", "  " }));
    }

    [Test]
    public void SplitInvertLikeRust()
    {
        // split.rs `invert`: " " Removed equals "Hello" Removed inverted on "Hello Hello Hello".
        var plain = Run(new SplitPreTokenizer(SplitPatternKind.Literal, " ", SplitBehavior.Removed, false), "Hello Hello Hello");
        var inverted = Run(new SplitPreTokenizer(SplitPatternKind.Literal, "Hello", SplitBehavior.Removed, true), "Hello Hello Hello");
        Assert.That(plain, Is.EqualTo(new[] { ("Hello", 0, 5), ("Hello", 6, 11), ("Hello", 12, 17) }));
        Assert.That(inverted, Is.EqualTo(plain));
        // Literal matches are leftmost and non-overlapping.
        Assert.That(Texts(new SplitPreTokenizer(SplitPatternKind.Literal, "aa", SplitBehavior.Isolated, false), "aaab"), Is.EqualTo(new[] { "aa", "ab" }));
    }

    [Test]
    public void SplitWithGpt2PatternIsolatedGivesTheGpt2Pieces()
    {
        var split = new SplitPreTokenizer(SplitPatternKind.Gpt2, "", SplitBehavior.Isolated, false);
        Assert.That(Texts(split, "Hello my friend, it's 2024!  "), Is.EqualTo(new[] { "Hello", " my", " friend", ",", " it", "'s", " 2024", "!", "  " }));
        var removed = new SplitPreTokenizer(SplitPatternKind.Gpt2, "", SplitBehavior.Removed, false);
        Assert.That(Texts(removed, "Hello my friend"), Is.Empty, "every char is in a match");
    }

    private static string Json(string preTokenizer) =>
        "{\"version\":\"1.0\",\"added_tokens\":[],\"normalizer\":null,\"pre_tokenizer\":" + preTokenizer +
        ",\"post_processor\":null,\"decoder\":null,\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"continuing_subword_prefix\":\"##\",\"max_input_chars_per_word\":100," +
        "\"vocab\":{\"[UNK]\":0,\"hey\":1,\"1\":2,\"2\":3,\"!\":4,\"you\":5,\"12\":6,\"-\":7}}}";

    internal static BertTokenizer LoadJson(string json)
    {
        string dir = Path.Combine(Path.GetTempPath(), "bertsharp-split-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json);
            return BertTokenizer.FromTokenizerJson(Path.Combine(dir, "tokenizer.json"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void ComposedFromTokenizerJson()
    {
        var t = LoadJson(Json("{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"WhitespaceSplit\"},{\"type\":\"Digits\",\"individual_digits\":true},{\"type\":\"Punctuation\"}]}"));
        var e = t.Encode("hey  12!you");
        Assert.That(e.Tokens, Is.EqualTo(new[] { "hey", "1", "2", "!", "you" }));
        Assert.That(e.Ids, Is.EqualTo(new[] { 1, 2, 3, 4, 5 }));
        Assert.That(e.Offsets, Is.EqualTo(new[] { (0, 3), (5, 6), (6, 7), (7, 8), (8, 11) }));
        Assert.That(e.WordIds, Is.EqualTo(new int?[] { 0, 1, 2, 3, 4 }));

        t = LoadJson(Json("{\"type\":\"Whitespace\"}"));
        e = t.Encode("hey 12-you!");
        Assert.That(e.Tokens, Is.EqualTo(new[] { "hey", "12", "-", "you", "!" }));
        Assert.That(e.Offsets, Is.EqualTo(new[] { (0, 3), (4, 6), (6, 7), (7, 10), (10, 11) }));

        t = LoadJson(Json("{\"type\":\"Split\",\"pattern\":{\"String\":\"-\"},\"behavior\":\"MergedWithNext\",\"invert\":false}"));
        e = t.Encode("hey-you");
        Assert.That(e.Tokens, Is.EqualTo(new[] { "hey", "[UNK]" }), "\"-you\" is one word, not in the vocabulary");
        Assert.That(e.Offsets, Is.EqualTo(new[] { (0, 3), (3, 7) }));
    }

    [TestCase("{\"type\":\"Whitespace\",\"x\":1}", "pre_tokenizer.x")]
    [TestCase("{\"type\":\"Punctuation\",\"behavior\":\"Merged\"}", "pre_tokenizer.behavior")]
    [TestCase("{\"type\":\"Digits\",\"individual_digits\":true,\"extra\":0}", "pre_tokenizer.extra")]
    [TestCase("{\"type\":\"Split\",\"pattern\":{\"Regex\":\"\\\\p{L}+\"},\"behavior\":\"Isolated\",\"invert\":false}", "pre_tokenizer.pattern.Regex")]
    [TestCase("{\"type\":\"Split\",\"pattern\":{\"String\":\"\"},\"behavior\":\"Isolated\",\"invert\":false}", "pre_tokenizer.pattern.String")]
    [TestCase("{\"type\":\"Split\",\"pattern\":{\"String\":\"-\"},\"behavior\":\"Isolated\"}", "pre_tokenizer.invert")]
    [TestCase("{\"type\":\"Split\",\"pattern\":{\"String\":\"-\"},\"invert\":false}", "pre_tokenizer.behavior")]
    [TestCase("{\"type\":\"Split\",\"pattern\":{\"Glob\":\"-\"},\"behavior\":\"Isolated\",\"invert\":false}", "pre_tokenizer.pattern.Glob")]
    [TestCase("{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Digits\",\"individual_digits\":\"yes\"}]}", "pre_tokenizer.pretokenizers[0].individual_digits")]
    public void BadSettingsNameTheirPath(string preTokenizer, string path)
    {
        var ex = Assert.Throws<TokenizerException>(() => LoadJson(Json(preTokenizer)));
        Assert.That(ex!.Message, Does.Contain(path));
    }

    [Test]
    public void SplitRegexLiteralAndWhitespaceRunsAreRead()
    {
        var t = LoadJson(Json("{\"type\":\"Split\",\"pattern\":{\"Regex\":\"\\\\s+\"},\"behavior\":\"Removed\",\"invert\":false}"));
        Assert.That(t.Encode("hey \u3000you").Tokens, Is.EqualTo(new[] { "hey", "you" }));
        t = LoadJson(Json("{\"type\":\"Split\",\"pattern\":{\"Regex\":\"-\"},\"behavior\":\"Removed\",\"invert\":false}"));
        Assert.That(t.Encode("hey-you").Tokens, Is.EqualTo(new[] { "hey", "you" }));
    }
}
