using BertSharp.Tokenization;
using BertSharp.Tokenization.Normalizers;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tests.Tokenization;

/// <summary>
/// The NFD, NFKD and StripAccents normalizers. Expected strings are the Rust library's unit tests
/// (normalizers/strip.rs) or hand-derived from UnicodeData.txt; spans follow the positional alignment rule of
/// <c>NormalizedString::transform</c>; NFD is also checked against BertNormalizer's strip_accents (proven against the
/// Rust library by the oracle tests) on every BMP code point.
/// </summary>
public class DecompositionNormalizerTests
{
    private static (string Text, (int, int)[] Spans) Run(string input, params INormalizer[] normalizers)
    {
        var text = new NormalizedText();
        for (int i = 0; i < input.Length; i++) text.AppendChar(input[i], i, i + 1);
        var scratch = new NormalizedText();
        foreach (var n in normalizers) n.Normalize(text, scratch);
        var spans = new (int, int)[text.Length];
        for (int i = 0; i < text.Length; i++) spans[i] = (text.Start[i], text.End[i]);
        return (text.Span.ToString(), spans);
    }

    [Test]
    public void NfdDecomposesAndAlignsEachPartToItsSource()
    {
        Assert.That(Run("é!", DecompositionNormalizer.Nfd), Is.EqualTo(("e\u0301!", new[] { (0, 1), (0, 1), (1, 2) })));
        // U+1E09 = c + U+0327 + U+0301 (recursively); U+FB01 has only a compatibility mapping.
        Assert.That(Run("\u1E09\uFB01", DecompositionNormalizer.Nfd), Is.EqualTo(("c\u0327\u0301\uFB01", new[] { (0, 1), (0, 1), (0, 1), (1, 2) })));
        // Canonical ordering: dot below (220) moves before acute (230); spans stay by position.
        Assert.That(Run("a\u0301\u0323", DecompositionNormalizer.Nfd), Is.EqualTo(("a\u0323\u0301", new[] { (0, 1), (1, 2), (2, 3) })));
        // Hangul syllable: L V T jamo.
        Assert.That(Run("\uD55C", DecompositionNormalizer.Nfd).Text, Is.EqualTo("\u1112\u1161\u11AB"));
        // Astral: U+1D15E = U+1D157 U+1D165, each part spanning both UTF-16 units of the source.
        Assert.That(Run("\U0001D15E", DecompositionNormalizer.Nfd), Is.EqualTo(("\U0001D157\U0001D165", new[] { (0, 2), (0, 2), (0, 2), (0, 2) })));
    }

    [Test]
    public void NfkdAppliesCompatibilityMappings()
    {
        Assert.That(Run("\uFB01x", DecompositionNormalizer.Nfkd), Is.EqualTo(("fix", new[] { (0, 1), (0, 1), (1, 2) })));
        Assert.That(Run("\u2460\u338F\uFF23\u00BD", DecompositionNormalizer.Nfkd).Text, Is.EqualTo("1kgC1\u20442"));
        Assert.That(Run("\u1E09", DecompositionNormalizer.Nfkd).Text, Is.EqualTo("c\u0327\u0301"));
        var longest = Run("\uFDFA", DecompositionNormalizer.Nfkd);
        Assert.That(longest.Text.Length, Is.EqualTo(18));
        Assert.That(longest.Spans, Is.All.EqualTo((0, 1)));
        // U+01C4 (DŽ) = D + Z + U+030C: compatibility then canonical, recursively.
        Assert.That(Run("\u01C4", DecompositionNormalizer.Nfkd).Text, Is.EqualTo("DZ\u030C"));
    }

    [Test]
    public void StripAccentsLikeRust()
    {
        var nfkdStrip = new INormalizer[] { DecompositionNormalizer.Nfkd, StripAccentsNormalizer.Instance };
        Assert.That(Run("Me llamó", nfkdStrip).Text, Is.EqualTo("Me llamo"));
        Assert.That(Run("这很简单", nfkdStrip).Text, Is.EqualTo("这很简单"));
        Assert.That(Run("ậ…", nfkdStrip.Append(LowercaseNormalizer.Instance).ToArray()), Is.EqualTo(("a...", new[] { (0, 1), (1, 2), (1, 2), (1, 2) })));
        Assert.That(Run("ำน\u0E49ำ3ลำ", nfkdStrip.Append(LowercaseNormalizer.Instance).ToArray()).Text, Is.EqualTo("านา3ลา"));
        // strip.rs test_strip_accents_multiple: spans (0, 1) and (7, 8) in bytes are (0, 1) and (4, 5) in UTF-16.
        Assert.That(Run("e\u0304\u0304\u0304o", StripAccentsNormalizer.Instance), Is.EqualTo(("eo", new[] { (0, 1), (4, 5) })));
        // All of M goes (U+0903 is Mc, U+20DD Me), unlike BertNormalizer's Mn; U+1CF7 (Mc from Unicode 10.0) stays.
        Assert.That(Run("a\u0903b\u20DDc\u1CF7", StripAccentsNormalizer.Instance).Text, Is.EqualTo("abc\u1CF7"));
    }

    [Test]
    public void NfdThenDroppingMnEqualsBertStripAccentsOnEveryBmpCodePoint()
    {
        var bert = new BertNormalizer(cleanText: false, handleChineseChars: false, stripAccents: true, lowercase: false);
        var output = new NormalizedText();
        var scratch = new NormalizerScratch();
        int checkedCount = 0;
        for (int c = 0x80; c < 0x10000; c++)
        {
            if (char.IsSurrogate((char)c)) continue;
            // Between a letter and two marks of different classes, so reordering across the code point is exercised.
            string input = "a\u0301" + (char)c + "\u0323\u0301";
            output.Clear();
            bert.Normalize(input, 0, output, scratch);
            var (text, spans) = Run(input, DecompositionNormalizer.Nfd);
            var kept = new System.Text.StringBuilder();
            var keptSpans = new List<(int, int)>();
            for (int i = 0; i < text.Length; i++)
            {
                int width = char.IsHighSurrogate(text[i]) ? 2 : 1;
                int cp = char.ConvertToUtf32(text, i);
                if ((UnicodeTables.GetFlags(cp) & CharFlags.NonspacingMark) == 0)
                    for (int k = 0; k < width; k++) { kept.Append(text[i + k]); keptSpans.Add(spans[i + k]); }
                i += width - 1;
            }
            var expectedSpans = new (int, int)[output.Length];
            for (int i = 0; i < output.Length; i++) expectedSpans[i] = (output.Start[i], output.End[i]);
            Assert.That(kept.ToString(), Is.EqualTo(output.Span.ToString()), $"U+{c:X4}");
            Assert.That(keptSpans, Is.EqualTo(expectedSpans), $"U+{c:X4} spans");
            checkedCount++;
        }
        Assert.That(checkedCount, Is.EqualTo(0x10000 - 0x80 - 0x800));
    }

    private static string Json(string normalizer) =>
        "{\"version\":\"1.0\",\"added_tokens\":[],\"normalizer\":" + normalizer + ",\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,\"decoder\":null," +
        "\"model\":{\"type\":\"WordLevel\",\"vocab\":{\"<unk>\":0,\"cafe\":1,\"fix\":2},\"unk_token\":\"<unk>\"}}";

    [Test]
    public void ComposedFromTokenizerJson()
    {
        var t = SplitPreTokenizerTests.LoadJson(Json("{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"NFKD\"},{\"type\":\"StripAccents\"},{\"type\":\"Lowercase\"}]}"));
        var e = t.Encode("\uFF23afé \uFB01x");
        Assert.That(e.Tokens, Is.EqualTo(new[] { "cafe", "fix" }));
        Assert.That(e.Offsets, Is.EqualTo(new[] { (0, 4), (5, 7) }));
        t = SplitPreTokenizerTests.LoadJson(Json("{\"type\":\"NFD\"}"));
        e = t.Encode("cafe café");
        Assert.That(e.Tokens, Is.EqualTo(new[] { "cafe", "<unk>" }), "NFD keeps the accent: \"cafe\\u0301\" is no word");
        Assert.That(e.Offsets, Is.EqualTo(new[] { (0, 4), (5, 9) }));
    }

    [TestCase("{\"type\":\"NFD\",\"x\":1}", "normalizer.x")]
    [TestCase("{\"type\":\"StripAccents\",\"strip\":true}", "normalizer.strip")]
    [TestCase("{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"NFKD\",\"form\":\"k\"}]}", "normalizer.normalizers[0].form")]
    public void BadSettingsNameTheirPath(string normalizer, string path)
    {
        var ex = Assert.Throws<TokenizerException>(() => SplitPreTokenizerTests.LoadJson(Json(normalizer)));
        Assert.That(ex!.Message, Does.Contain(path));
    }
}
