using BertSharp.Tokenization;

namespace BertSharp.Tests.Tokenization;

/// <summary>
/// Offsets (UTF-16) of the issue 14 normalizers and pre-tokenizers as the Rust library reports them: each expected list
/// was produced by the official Node binding (npm tokenizers 0.23.2, offsets in code points converted to UTF-16) on
/// the same tokenizer.json (WordLevel with only an unk token, so every piece is one token spanning it). The NuGet
/// oracle the other differential tests use returns ids only.
/// </summary>
public class NormalizerAndSplitOffsetTests
{
    private static readonly Dictionary<string, string> Configs = new()
    {
        ["nfc_ws"] = "\"normalizer\": {\"type\": \"NFC\"}, \"pre_tokenizer\": {\"type\": \"WhitespaceSplit\"}",
        ["nfkd_strip_punct"] = "\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFKD\"}, {\"type\": \"StripAccents\"}]}, \"pre_tokenizer\": {\"type\": \"Punctuation\", \"behavior\": \"Isolated\"}",
        ["nfd_whitespace"] = "\"normalizer\": {\"type\": \"NFD\"}, \"pre_tokenizer\": {\"type\": \"Whitespace\"}",
        ["nfkc_digits"] = "\"normalizer\": {\"type\": \"NFKC\"}, \"pre_tokenizer\": {\"type\": \"Digits\", \"individual_digits\": true}",
        ["split_next"] = "\"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"String\": \"-\"}, \"behavior\": \"MergedWithNext\", \"invert\": false}",
    };

    private static readonly Dictionary<string, BertTokenizer> Loaded = new();

    private static BertTokenizer Load(string config)
    {
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(config, out var t))
                Loaded[config] = t = SplitPreTokenizerTests.LoadJson("{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": [], " + Configs[config] +
                    ", \"post_processor\": null, \"decoder\": null, \"model\": {\"type\": \"WordLevel\", \"vocab\": {\"<unk>\": 0}, \"unk_token\": \"<unk>\"}}");
            return t;
        }
    }

    [TestCase("nfc_ws", "xe\u0301 a\u0301\u0301 a\u0302\u0323b", new[] { 0, 2, 4, 7, 8, 12 })]
    [TestCase("nfc_ws", "\uFB01x \u2460! caf\u00E9-\u1E09", new[] { 0, 2, 3, 5, 6, 12 })]
    [TestCase("nfc_ws", "\u1112\u1161\u11AB 12\u00BD\u2460", new[] { 0, 1, 4, 8 })]
    [TestCase("nfc_ws", "the-final--countdown", new[] { 0, 20 })]
    [TestCase("nfc_ws", "\u0E33\u0E19\u0E49 \u1EAD\u2026z", new[] { 0, 3, 4, 7 })]
    [TestCase("nfc_ws", "\U0001D400\u0301 \u01C4x", new[] { 0, 3, 4, 6 })]
    [TestCase("nfkd_strip_punct", "xe\u0301 a\u0301\u0301 a\u0302\u0323b", new[] { 0, 12 })]
    [TestCase("nfkd_strip_punct", "\uFB01x \u2460! caf\u00E9-\u1E09", new[] { 0, 4, 4, 5, 5, 10, 10, 11, 11, 12 })]
    [TestCase("nfkd_strip_punct", "\u1112\u1161\u11AB 12\u00BD\u2460", new[] { 0, 8 })]
    [TestCase("nfkd_strip_punct", "the-final--countdown", new[] { 0, 3, 3, 4, 4, 9, 9, 10, 10, 11, 11, 20 })]
    [TestCase("nfkd_strip_punct", "\u0E33\u0E19\u0E49 \u1EAD\u2026z", new[] { 0, 5, 5, 6, 5, 6, 5, 6, 6, 7 })]
    [TestCase("nfkd_strip_punct", "\U0001D400\u0301 \u01C4x", new[] { 0, 6 })]
    [TestCase("nfd_whitespace", "xe\u0301 a\u0301\u0301 a\u0302\u0323b", new[] { 0, 3, 4, 7, 8, 12 })]
    [TestCase("nfd_whitespace", "\uFB01x \u2460! caf\u00E9-\u1E09", new[] { 0, 2, 3, 5, 6, 10, 10, 11, 11, 12 })]
    [TestCase("nfd_whitespace", "\u1112\u1161\u11AB 12\u00BD\u2460", new[] { 0, 3, 4, 6, 6, 8 })]
    [TestCase("nfd_whitespace", "the-final--countdown", new[] { 0, 3, 3, 4, 4, 9, 9, 11, 11, 20 })]
    [TestCase("nfd_whitespace", "\u0E33\u0E19\u0E49 \u1EAD\u2026z", new[] { 0, 3, 4, 5, 5, 6, 6, 7 })]
    [TestCase("nfd_whitespace", "\U0001D400\u0301 \u01C4x", new[] { 0, 3, 4, 6 })]
    [TestCase("nfkc_digits", "xe\u0301 a\u0301\u0301 a\u0302\u0323b", new[] { 0, 12 })]
    [TestCase("nfkc_digits", "\uFB01x \u2460! caf\u00E9-\u1E09", new[] { 0, 3, 3, 4, 4, 12 })]
    [TestCase("nfkc_digits", "\u1112\u1161\u11AB 12\u00BD\u2460", new[] { 0, 4, 4, 5, 5, 6, 6, 7, 6, 7, 6, 7, 7, 8 })]
    [TestCase("nfkc_digits", "the-final--countdown", new[] { 0, 20 })]
    [TestCase("nfkc_digits", "\u0E33\u0E19\u0E49 \u1EAD\u2026z", new[] { 0, 7 })]
    [TestCase("nfkc_digits", "\U0001D400\u0301 \u01C4x", new[] { 0, 6 })]
    [TestCase("split_next", "xe\u0301 a\u0301\u0301 a\u0302\u0323b", new[] { 0, 12 })]
    [TestCase("split_next", "\uFB01x \u2460! caf\u00E9-\u1E09", new[] { 0, 10, 10, 12 })]
    [TestCase("split_next", "\u1112\u1161\u11AB 12\u00BD\u2460", new[] { 0, 8 })]
    [TestCase("split_next", "the-final--countdown", new[] { 0, 3, 3, 9, 9, 10, 10, 20 })]
    [TestCase("split_next", "\u0E33\u0E19\u0E49 \u1EAD\u2026z", new[] { 0, 7 })]
    [TestCase("split_next", "\U0001D400\u0301 \u01C4x", new[] { 0, 6 })]
    public void OffsetsMatchRust(string config, string text, int[] expected)
    {
        var offsets = Load(config).Encode(text).Offsets;
        var flat = new int[offsets.Length * 2];
        for (int i = 0; i < offsets.Length; i++) (flat[2 * i], flat[2 * i + 1]) = offsets[i];
        Assert.That(flat, Is.EqualTo(expected));
    }
}
