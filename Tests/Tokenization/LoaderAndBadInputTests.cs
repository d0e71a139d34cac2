using BertSharp.Tokenization;

namespace BertSharp.Tests.Tokenization;

public class LoaderAndBadInputTests
{
    [Test]
    public void VocabTxtAndTokenizerJsonGiveTheSameTokenizer()
    {
        using var a = new TinyTokenizer(tokenizerConfig: """{"do_lower_case": true, "model_max_length": 1000000000000000019884624838656}""");
        using var b = new TinyTokenizer(tokenizerJson: TinyTokenizer.TokenizerJson());
        var ta = a.Load();
        var tb = b.Load();
        Assert.That(ta.ModelMaxLength, Is.Null, "1e30 sentinel means no limit");
        foreach (string text in new[] { "Hello, world! Naïve 中文 😀😀 [MASK] İ", "unaffable don't" })
            Assert.That(ta.Encode(text, "a b").Ids, Is.EqualTo(tb.Encode(text, "a b").Ids));
        Assert.That((ta.PadTokenId, ta.UnkTokenId, ta.ClsTokenId, ta.SepTokenId, ta.MaskTokenId), Is.EqualTo((0, 1, 2, 3, 4)));
        Assert.That((tb.PadTokenId, tb.UnkTokenId, tb.ClsTokenId, tb.SepTokenId, tb.MaskTokenId), Is.EqualTo((0, 1, 2, 3, 4)));
    }

    [Test]
    public void VocabWithDuplicateAndEmptyLinesLastDuplicateWins()
    {
        string[] vocab = ["[PAD]", "[UNK]", "", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "hello"];
        using var dir = new TinyTokenizer(vocab, tokenizerConfig: "{}");
        var tok = dir.Load();
        Assert.That(tok.TokenToId("hello"), Is.EqualTo(8));
        Assert.That(tok.IdToToken(6), Is.Null, "id hidden by the later duplicate");
        Assert.That(tok.TokenToId(""), Is.EqualTo(2));
        Assert.That(tok.VocabSize, Is.EqualTo(9));
        Assert.That(tok.Encode("hello world").Ids, Is.EqualTo(new[] { 3, 8, 7, 4 }));
    }

    [Test]
    public void ChineseVocabDuplicatesMatchTokenizerJson()
    {
        string dir = SharedData.Require("golden/tokenizer/chinese");
        var fromVocab = BertTokenizer.FromVocabFile(dir);
        var fromJson = BertTokenizer.FromTokenizerJson(Path.Combine(dir, "tokenizer.json"));
        Assert.That(fromVocab.VocabSize, Is.EqualTo(21128));
        for (int id = 0; id < fromVocab.VocabSize; id++) Assert.That(fromVocab.IdToToken(id), Is.EqualTo(fromJson.IdToToken(id)), $"id {id}");
    }

    // NFKC is supported since issue 14's normalizers; ByteLevel (normalizer) is not.
    [TestCase("\"normalizer\": {\"type\": \"BertNormalizer\"", "\"normalizer\": {\"type\": \"ByteLevel\"", "normalizer.type 'ByteLevel'")]
    [TestCase("\"version\": \"1.0\",", "\"version\": \"1.0\", \"foo\": 1,", "foo is not a supported setting")]
    // lstrip = true is supported since the composed pipeline (issue 14); a malformed flag is still named.
    [TestCase("\"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true},\n    {\"id\": 1", "\"lstrip\": \"yes\", \"rstrip\": false, \"normalized\": false, \"special\": true},\n    {\"id\": 1", "added_tokens[0].lstrip")]
    [TestCase("\"lowercase\": true", "\"lowercase\": \"yes\"", "normalizer.lowercase must be true or false")]
    [TestCase("\"unk_token\": \"[UNK]\"", "\"unk_token\": \"<unk>\"", "unk_token '<unk>'")]
    [TestCase("\"truncation\": null", "\"truncation\": {\"max_length\": 8, \"strategy\": \"LongestFirst\", \"stride\": 2, \"direction\": \"Right\"}", "truncation.stride")]
    // Whitespace is supported since issue 14's pre-tokenizers; UnicodeScripts is not.
    [TestCase("\"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"}", "\"pre_tokenizer\": {\"type\": \"UnicodeScripts\"}", "pre_tokenizer.type 'UnicodeScripts'")]
    // WordLevel is supported since issue 14's models; CharLevel is no Hugging Face model.
    [TestCase("\"type\": \"WordPiece\", \"unk_token\"", "\"type\": \"CharLevel\", \"unk_token\"", "model.type 'CharLevel'")]
    [TestCase("\"version\": \"1.0\",", "\"version\": \"1.0\",,", "invalid JSON")]
    public void BadTokenizerJsonNamesTheField(string find, string replace, string expectedMessage)
    {
        string json = TinyTokenizer.TokenizerJson(patch: j => j.Replace(find, replace, StringComparison.Ordinal));
        Assume.That(json, Does.Contain(replace));
        using var dir = new TinyTokenizer(tokenizerJson: json);
        Assert.That(() => dir.Load(), Throws.TypeOf<TokenizerException>().With.Message.Contains(expectedMessage).And.Message.Contains("tokenizer.json"));
    }

    [Test]
    public void ConfiguredTruncationAndPaddingAreReadButNotApplied()
    {
        string json = TinyTokenizer.TokenizerJson(patch: j => j
            .Replace("\"truncation\": null", "\"truncation\": {\"max_length\": 4, \"strategy\": \"LongestFirst\", \"stride\": 0, \"direction\": \"Right\"}", StringComparison.Ordinal)
            .Replace("\"padding\": null", "\"padding\": {\"strategy\": {\"Fixed\": 4}, \"direction\": \"Right\", \"pad_to_multiple_of\": null, \"pad_id\": 0, \"pad_type_id\": 0, \"pad_token\": \"[PAD]\"}", StringComparison.Ordinal));
        using var dir = new TinyTokenizer(tokenizerJson: json);
        var tok = dir.Load();
        Assert.That(tok.Encode("hello world hello").Length, Is.EqualTo(5));
        Assert.That(tok.ConfiguredOptions, Is.Not.Null);
        Assert.That(tok.Encode("hello world hello", null, tok.ConfiguredOptions).Length, Is.EqualTo(4));
        Assert.That(tok.Encode("a", null, tok.ConfiguredOptions).Ids, Is.EqualTo(new[] { 2, 10, 3, 0 }));
    }

    [Test]
    public void ConfiguredLeftTruncationAndPaddingAreReadOnTheFusedWordPiecePath()
    {
        string json = TinyTokenizer.TokenizerJson(patch: j => j
            .Replace("\"truncation\": null", "\"truncation\": {\"max_length\": 4, \"strategy\": \"LongestFirst\", \"stride\": 0, \"direction\": \"Left\"}", StringComparison.Ordinal)
            .Replace("\"padding\": null", "\"padding\": {\"strategy\": {\"Fixed\": 4}, \"direction\": \"Left\", \"pad_to_multiple_of\": null, \"pad_id\": 0, \"pad_type_id\": 0, \"pad_token\": \"[PAD]\"}", StringComparison.Ordinal));
        using var dir = new TinyTokenizer(tokenizerJson: json);
        var tok = dir.Load();
        Assert.That(tok.ConfiguredOptions, Is.Not.Null);
        Assert.That(tok.ConfiguredOptions!.TruncationSide, Is.EqualTo(TruncationSide.Left));
        Assert.That(tok.ConfiguredOptions.PaddingSide, Is.EqualTo(PaddingSide.Left));
        var explicitLeft = new EncodeOptions { MaxLength = 4, Truncation = TruncationStrategy.LongestFirst, Padding = PaddingStrategy.MaxLength,
            TruncationSide = TruncationSide.Left, PaddingSide = PaddingSide.Left };
        foreach (string text in new[] { "hello world hello", "a" })
            Assert.That(tok.Encode(text, null, tok.ConfiguredOptions).Ids, Is.EqualTo(tok.Encode(text, null, explicitLeft).Ids), text);
        Assert.That(tok.Encode("a", null, tok.ConfiguredOptions).Ids[0], Is.EqualTo(0), "left padding puts [PAD] first");
    }

    [TestCase("{\"tokenizer_class\": \"RobertaTokenizer\"}", "tokenizer_class")]
    [TestCase("{\"do_lower_case\": 1}", "do_lower_case must be true or false")]
    [TestCase("{\"padding_side\": \"left\"}", "padding_side")]
    [TestCase("{\"mask_token\": \"<mask>\"}", "mask_token '<mask>'")]
    [TestCase("{\"never_split\": [\"[FOO]\"]}", "never_split[0]")]
    [TestCase("not json", "invalid JSON")]
    public void BadTokenizerConfigNamesTheField(string config, string expectedMessage)
    {
        using var dir = new TinyTokenizer(tokenizerConfig: config);
        Assert.That(() => dir.Load(), Throws.TypeOf<TokenizerException>().With.Message.Contains(expectedMessage));
    }

    [Test]
    public void MissingFilesAreClearErrors()
    {
        Assert.That(() => BertTokenizer.FromDirectory("/no/such/folder"), Throws.TypeOf<TokenizerException>().With.Message.Contains("/no/such/folder"));
        Assert.That(() => BertTokenizer.FromTokenizerJson("/no/such/tokenizer.json"), Throws.TypeOf<TokenizerException>().With.Message.Contains("/no/such/tokenizer.json"));
        string empty = Path.Combine(Path.GetTempPath(), "bertsharp-empty-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(empty);
        try
        {
            Assert.That(() => BertTokenizer.FromDirectory(empty), Throws.TypeOf<TokenizerException>().With.Message.Contains("neither tokenizer.json nor vocab.txt"));
        }
        finally { Directory.Delete(empty); }
    }

    [Test]
    public void InvalidUtf8VocabIsAClearError()
    {
        using var dir = new TinyTokenizer(tokenizerConfig: "{}");
        File.WriteAllBytes(Path.Combine(dir.Directory, "vocab.txt"), [0x5B, 0x55, 0xFF, 0x0A]);
        Assert.That(() => dir.Load(), Throws.TypeOf<TokenizerException>().With.Message.Contains("vocab.txt"));
    }

    [Test]
    public void LoneSurrogatesAndNulAreWellDefined()
    {
        using var dir = new TinyTokenizer(tokenizerJson: TinyTokenizer.TokenizerJson());
        var tok = dir.Load();
        // U+0000 and lone surrogates are deleted by clean_text (a lone surrogate counts as U+FFFD).
        Assert.That(tok.Encode("hel\u0000lo wor\uD800ld \uDC00").Ids, Is.EqualTo(tok.Encode("hello world").Ids));
        var e = tok.Encode("\uD83Dhello");
        Assert.That(e.Tokens[1], Is.EqualTo("hello"));
        Assert.That(e.Offsets[1], Is.EqualTo((1, 6)));
        Assert.That(tok.Encode("\0\0\0").Tokens, Is.EqualTo(new[] { "[CLS]", "[SEP]" }));
    }

    [Test]
    public void TenMegabyteStringsEncode()
    {
        using var dir = new TinyTokenizer(tokenizerJson: TinyTokenizer.TokenizerJson());
        var tok = dir.Load();
        string words = string.Concat(Enumerable.Repeat("hello world ", 10 * 1024 * 1024 / 12));
        var e = tok.Encode(words);
        Assert.That(e.Length, Is.EqualTo(2 * (10 * 1024 * 1024 / 12) + 2));
        Assert.That(e.Offsets[^2], Is.EqualTo((words.Length - 6, words.Length - 1)));
        var truncated = tok.Encode(words, null, new EncodeOptions { MaxLength = 512, Truncation = TruncationStrategy.LongestFirst });
        Assert.That(truncated.Length, Is.EqualTo(512));

        string oneWord = new('a', 10 * 1024 * 1024);
        Assert.That(tok.Encode(oneWord).Tokens, Is.EqualTo(new[] { "[CLS]", "[UNK]", "[SEP]" }));
        Span<int> ids = stackalloc int[16];
        Assert.That(tok.EncodeIds(words, ids), Is.EqualTo(16));
    }

    [Test]
    public void NullArgumentsAreArgumentErrors()
    {
        using var dir = new TinyTokenizer(tokenizerJson: TinyTokenizer.TokenizerJson());
        var tok = dir.Load();
        Assert.That(() => tok.Encode(null!), Throws.ArgumentNullException);
        Assert.That(() => tok.EncodeBatch(["a", null!]), Throws.ArgumentException.With.Message.Contains("texts[1]"));
        Assert.That(() => tok.Encode("a", null, new EncodeOptions { Truncation = TruncationStrategy.LongestFirst }),
            Throws.TypeOf<TokenizerException>().With.Message.Contains("MaxLength"));
    }
}
