using System.Text;
using System.Text.Json;
using System.Text.Encodings.Web;
using BertSharp.Tokenization;
using RustTokenizer = Tokenizers.DotNet.Tokenizer;

namespace BertSharp.Tests.Tokenization;

/// <summary>
/// The issue 14 pre-tokenizers and normalizers against the Rust library itself (NuGet Tokenizers.DotNet 1.4.1 =
/// tokenizers 0.22.2 via FFI; it returns ids only). Probe tokenizers make the ids show everything: a WordPiece model
/// whose vocabulary is every scalar value and "##" + every scalar value, so each normalized code point is its own
/// token and a "##" id marks a char that continues a pre-tokenized word — ids then pin both the normalized text and
/// every piece boundary. Inputs: every scalar value alone and between two letters, and a seeded corpus mixing
/// letters, digits, marks, compatibility chars, punctuation and White_Space.
/// </summary>
public class SplitAndDecompositionOracleTests
{
    private const int MaxReported = 20;
    private static string? _vocab;

    private static string Vocab()
    {
        if (_vocab is not null) return _vocab;
        var sb = new StringBuilder("\"[UNK]\": 0");
        int id = 1;
        foreach (string prefix in new[] { "", "##" })
        {
            for (int cp = 0; cp < 0x110000; cp++)
            {
                if (cp is >= 0xD800 and <= 0xDFFF) continue;
                sb.Append(", \"").Append(JsonEncodedText.Encode(prefix + char.ConvertFromUtf32(cp), JavaScriptEncoder.UnsafeRelaxedJsonEscaping)).Append("\": ").Append(id++);
            }
        }
        return _vocab = sb.ToString();
    }

    private static readonly string[] Configs =
    [
        "\"normalizer\": {\"type\": \"NFD\"}, \"pre_tokenizer\": {\"type\": \"WhitespaceSplit\"}",
        "\"normalizer\": {\"type\": \"NFKD\"}, \"pre_tokenizer\": {\"type\": \"Whitespace\"}",
        "\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFKD\"}, {\"type\": \"StripAccents\"}]}, \"pre_tokenizer\": {\"type\": \"Punctuation\", \"behavior\": \"Isolated\"}",
        "\"normalizer\": {\"type\": \"StripAccents\"}, \"pre_tokenizer\": {\"type\": \"Digits\", \"individual_digits\": false}",
        "\"normalizer\": {\"type\": \"NFC\"}, \"pre_tokenizer\": {\"type\": \"WhitespaceSplit\"}",
        "\"normalizer\": {\"type\": \"NFKC\"}, \"pre_tokenizer\": {\"type\": \"WhitespaceSplit\"}",
        "\"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\", \"individual_digits\": true}, {\"type\": \"Punctuation\", \"behavior\": \"MergedWithPrevious\"}]}",
        "\"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Punctuation\", \"behavior\": \"MergedWithNext\"}",
        "\"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Punctuation\", \"behavior\": \"Contiguous\"}",
        "\"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Punctuation\", \"behavior\": \"Removed\"}",
        "\"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"String\": \"-\"}, \"behavior\": \"MergedWithNext\", \"invert\": false}",
        "\"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"String\": \"ab\"}, \"behavior\": \"Removed\", \"invert\": true}",
        "\"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"\\\\s+\"}, \"behavior\": \"MergedWithPrevious\", \"invert\": false}",
        "\"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"" + JsonEncodedText.Encode(BertSharp.Tokenization.PreTokenizers.SplitPreTokenizer.Gpt2Regex, JavaScriptEncoder.UnsafeRelaxedJsonEscaping) + "\"}, \"behavior\": \"Isolated\", \"invert\": false}",
    ];

    private static IEnumerable<TestCaseData> Cases() => Configs.Select((c, i) => new TestCaseData(i).SetName($"OracleConfig{i}"));

    [TestCaseSource(nameof(Cases))]
    public void MatchesRust(int config)
    {
        string json = "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": [], " + Configs[config] +
            ", \"post_processor\": null, \"decoder\": null, \"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", " +
            "\"continuing_subword_prefix\": \"##\", \"max_input_chars_per_word\": 1000, \"vocab\": {" + Vocab() + "}}}";
        string temp = Directory.CreateTempSubdirectory("bertsharp-split-oracle-").FullName;
        try
        {
            string path = Path.Combine(temp, "tokenizer.json");
            File.WriteAllText(path, json);
            var ours = BertTokenizer.FromTokenizerJson(path);
            using var rust = new RustTokenizer(path);
            var failures = new List<string>();
            int compared = 0;
            void Compare(string text)
            {
                compared++;
                int[] a = ours.Encode(text).Ids;
                int[] b = Array.ConvertAll(rust.Encode(text), x => (int)x);
                if (!a.AsSpan().SequenceEqual(b) && failures.Count < MaxReported)
                    failures.Add($"{Escape(text)}: ours [{string.Join(",", a)}], Rust [{string.Join(",", b)}]");
            }
            // Every scalar value alone and between letters, 512 per call joined by ' ' then, on a mismatch, one by one.
            foreach (bool between in new[] { false, true })
            {
                for (int first = 0; first < 0x110000; first += 512)
                {
                    var sb = new StringBuilder();
                    for (int cp = first; cp < first + 512; cp++)
                    {
                        if (cp is >= 0xD800 and <= 0xDFFF) continue;
                        if (sb.Length > 0) sb.Append(' ');
                        sb.Append(between ? "a" + char.ConvertFromUtf32(cp) + "b" : char.ConvertFromUtf32(cp));
                    }
                    if (sb.Length == 0) continue;
                    string chunk = sb.ToString();
                    if (ours.Encode(chunk).Ids.AsSpan().SequenceEqual(Array.ConvertAll(rust.Encode(chunk), x => (int)x))) { compared++; continue; }
                    for (int cp = first; cp < first + 512; cp++)
                        if (cp is < 0xD800 or > 0xDFFF) Compare(between ? "a" + char.ConvertFromUtf32(cp) + "b" : char.ConvertFromUtf32(cp));
                }
            }
            string[] palette =
            [
                "a", "b", "Z", "é", "e\u0301", "\u0323", "\u0301", "\u0903", "1", "7", "\u0663", "\u00BD", "\u2160", "\U0001D7CE", " ", "  ", "\t",
                "\n", "\u3000", "\u0085", "\u00A0", "-", "--", "!", ",", ".", "$", "_", "\u203F", "\u2014", "\u00A7", "\uFB01", "\u2460",
                "\uFF23", "\u01C4", "\uD55C", "\u1112", "\u1161", "\u11AB", "\u0302", "\u0958", "\u212B", "\u1E9B", "\u093C", "\u0915", "\U0001D400", "\U0001F642", "'s", "ab", "\u200D", "\u0E33", "\u1E09", "\u1EAD", "\u2026", "\uFDFA",
            ];
            var random = new Random(14);
            for (int i = 0; i < 20_000; i++)
            {
                var sb = new StringBuilder();
                int n = random.Next(1, 16);
                for (int k = 0; k < n; k++) sb.Append(palette[random.Next(palette.Length)]);
                Compare(sb.ToString());
            }
            TestContext.Out.WriteLine($"config {config}: {compared} comparisons, {failures.Count} mismatches shown");
            Assert.That(failures, Is.Empty, string.Join("\n", failures));
        }
        finally { Directory.Delete(temp, recursive: true); }
    }

    private static string Escape(string text)
    {
        var sb = new StringBuilder();
        foreach (char c in text) sb.Append(c is >= ' ' and < '\x7f' ? c.ToString() : $"\\u{(int)c:x4}");
        return sb.ToString();
    }
}
