using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BertSharp.Tokenization;
using RustTokenizer = Tokenizers.DotNet.Tokenizer;

namespace BertSharp.Tests.Tokenization;

/// <summary>
/// Differential tests against Hugging Face's Rust tokenizers 0.22.2 (what transformers' fast tokenizers and TEI run),
/// reached through NuGet Tokenizers.DotNet 1.4.1 (FFI to the Rust library; it loads tokenizer.json and encodes one
/// text with special tokens, ids only). Truncation and padding are removed from the oracle's tokenizer.json, since
/// BertTokenizer does not apply them implicitly either. Ids must be equal, exactly; offsets are checked against the
/// Rust library's Node binding by tools/unicode/check_offsets.mjs (the FFI wrapper gives ids only).
/// </summary>
public class RustOracleDifferentialTests
{
    public static readonly string[] Tokenizers =
        ["golden/tokenizer/uncased", "golden/tokenizer/cased", "golden/tokenizer/chinese", "models/all-MiniLM-L6-v2"];

    /// <summary>Scalar values per oracle call; the items are joined by ' ' (a boundary for every stage).</summary>
    private const int ChunkItems = 1024;
    private const int CorpusSize = 20_000;
    private const int MaxReported = 30;

    private sealed class Subject : IDisposable
    {
        private int[] _buffer = new int[1 << 16];
        public required BertTokenizer Ours { get; init; }
        public required RustTokenizer Rust { get; init; }
        public required string Directory { get; init; }
        public required string TempDirectory { get; init; }

        public int[] OurIds(string text)
        {
            // A UTF-16 char yields at most 3 normalized code points that stay (NFD of a Hangul syllable), so at most 3 tokens.
            int need = text.Length * 3 + 8;
            if (_buffer.Length < need) _buffer = new int[need];
            int n = Ours.EncodeIds(text, _buffer);
            return _buffer[..n];
        }

        /// <summary>
        /// The Rust library takes UTF-8 only (the wrapper rejects a lone surrogate): it gets the text after a UTF-8 round
        /// trip, which turns a lone surrogate into U+FFFD, as BertTokenizer documents for its own input.
        /// </summary>
        public int[] RustIds(string text) =>
            Array.ConvertAll(Rust.Encode(System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(text))), x => (int)x);

        public void Dispose()
        {
            Rust.Dispose();
            System.IO.Directory.Delete(TempDirectory, recursive: true);
        }
    }

    private static Subject Load(string relative)
    {
        string directory = SharedData.Require(relative);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "tokenizer.json")))!.AsObject();
        json["truncation"] = null;
        json["padding"] = null;
        string temp = Directory.CreateTempSubdirectory("bertsharp-oracle-").FullName;
        string path = Path.Combine(temp, "tokenizer.json");
        File.WriteAllText(path, json.ToJsonString());
        return new Subject { Ours = BertTokenizer.FromDirectory(directory), Rust = new RustTokenizer(path), Directory = directory, TempDirectory = temp };
    }

    private static string Show(int[] ids) => "[" + string.Join(",", ids) + "]";

    private static string Escape(string text)
    {
        var sb = new StringBuilder();
        foreach (char c in text.Length > 120 ? text[..120] : text)
            sb.Append(c is >= ' ' and < '\x7f' ? c.ToString() : $"\\u{(int)c:x4}");
        if (text.Length > 120) sb.Append($"... ({text.Length} chars)");
        return sb.ToString();
    }

    private static string Item(int codePoint, bool betweenLetters) =>
        betweenLetters ? "a" + char.ConvertFromUtf32(codePoint) + "b" : char.ConvertFromUtf32(codePoint);

    /// <summary>Every scalar value, <see cref="ChunkItems"/> items per string joined by ' ': (text, first code point, count).</summary>
    private static IEnumerable<(string Text, int First, int Count)> ScalarChunks(bool betweenLetters)
    {
        var sb = new StringBuilder();
        for (int first = 0; first < 0x110000; first += ChunkItems)
        {
            sb.Clear();
            for (int cp = first; cp < first + ChunkItems; cp++)
            {
                if (cp is >= 0xD800 and <= 0xDFFF) continue;
                if (sb.Length > 0) sb.Append(' ');
                sb.Append(Item(cp, betweenLetters));
            }
            if (sb.Length > 0) yield return (sb.ToString(), first, ChunkItems);
        }
    }

    [TestCaseSource(nameof(Tokenizers))]
    public void EveryScalarValueAloneAndBetweenLettersMatchesRust(string relative)
    {
        using var subject = Load(relative);
        CompareEveryScalarValue(subject, relative);
    }

    /// <summary>
    /// Probe tokenizers whose vocabulary is every scalar value (id = 3 + its index) with an empty continuation prefix:
    /// each normalized code point comes out as its own id, so every normalizer stage is seen exactly (the lowercase of
    /// U+A7CB, the order of reordered marks, which marks strip_accents drops), not through a real vocabulary's [UNK].
    /// </summary>
    [TestCase(true, true, null, true, TestName = "ProbeVocabulary(uncased settings)")]
    [TestCase(true, true, false, false, TestName = "ProbeVocabulary(cased settings)")]
    [TestCase(false, false, true, false, TestName = "ProbeVocabulary(strip_accents only)")]
    [TestCase(false, false, false, true, TestName = "ProbeVocabulary(lowercase only)")]
    public void ProbeVocabularyMatchesRustOnEveryScalarValue(bool cleanText, bool chineseChars, bool? stripAccents, bool lowercase)
    {
        var vocab = new StringBuilder("\"[UNK]\": 0, \"[CLS]\": 1, \"[SEP]\": 2");
        int id = 3;
        for (int cp = 0; cp < 0x110000; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            vocab.Append(", \"").Append(JsonEncodedText.Encode(char.ConvertFromUtf32(cp), System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping)).Append("\": ").Append(id++);
        }
        static string Special(int id, string content) =>
            $$"""{"id": {{id}}, "content": "{{content}}", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}""";
        static string B(bool b) => b ? "true" : "false";
        string strip = stripAccents is { } value ? B(value) : "null";
        string json = $$$$"""
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [{{{{Special(0, "[UNK]")}}}}, {{{{Special(1, "[CLS]")}}}}, {{{{Special(2, "[SEP]")}}}}],
             "normalizer": {"type": "BertNormalizer", "clean_text": {{{{B(cleanText)}}}}, "handle_chinese_chars": {{{{B(chineseChars)}}}},
                            "strip_accents": {{{{strip}}}}, "lowercase": {{{{B(lowercase)}}}}},
             "pre_tokenizer": {"type": "BertPreTokenizer"},
             "post_processor": {"type": "TemplateProcessing",
               "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
               "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
               "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]}}},
             "decoder": null,
             "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "", "max_input_chars_per_word": 100,
                       "vocab": { {{{{vocab}}}} } } }
            """;
        string temp = Directory.CreateTempSubdirectory("bertsharp-probe-").FullName;
        string path = Path.Combine(temp, "tokenizer.json");
        File.WriteAllText(path, json);
        using var subject = new Subject { Ours = BertTokenizer.FromTokenizerJson(path), Rust = new RustTokenizer(path), Directory = temp, TempDirectory = temp };
        CompareEveryScalarValue(subject, $"probe clean={cleanText} chinese={chineseChars} strip={stripAccents} lower={lowercase}");
    }

    private static void CompareEveryScalarValue(Subject subject, string label)
    {
        var failures = new List<string>();
        int items = 0;
        var watch = Stopwatch.StartNew();
        foreach (bool between in new[] { false, true })
        {
            foreach (var (text, first, count) in ScalarChunks(between))
            {
                items += count;
                if (subject.OurIds(text).AsSpan().SequenceEqual(subject.RustIds(text))) continue;
                // Find the items that differ, each encoded truly alone.
                int before = failures.Count;
                for (int cp = first; cp < first + count; cp++)
                {
                    if (cp is >= 0xD800 and <= 0xDFFF) continue;
                    string item = Item(cp, between);
                    int[] ours = subject.OurIds(item), rust = subject.RustIds(item);
                    if (!ours.AsSpan().SequenceEqual(rust))
                        failures.Add($"U+{cp:X4} {(between ? "between letters" : "alone")}: ours {Show(ours)}, Rust {Show(rust)}");
                }
                if (failures.Count == before) failures.Add($"chunk U+{first:X4}.. ({(between ? "between letters" : "alone")}) differs but no item alone does");
            }
        }
        TestContext.Out.WriteLine($"{label}: {items} items in {watch.Elapsed.TotalSeconds:F1} s, {failures.Count} mismatches");
        Assert.That(failures, Is.Empty, $"{failures.Count} mismatches:\n" + string.Join("\n", failures.Take(MaxReported)));
    }

    [TestCaseSource(nameof(Tokenizers))]
    public void SeededCorpusMatchesRust(string relative)
    {
        using var subject = Load(relative);
        var vocabulary = new List<string>();
        for (int id = 0; id < subject.Ours.VocabSize; id++)
            if (subject.Ours.IdToToken(id) is { } token) vocabulary.Add(token);
        var corpus = new FuzzCorpus(seed: 15, vocabulary);
        var failures = new List<string>();
        int pairs = 0;
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < CorpusSize; i++)
        {
            string text = corpus.Next();
            string? pair = corpus.NextPair();
            int[] rust = subject.RustIds(text);
            int[] ours = subject.OurIds(text);
            if (!ours.AsSpan().SequenceEqual(rust))
                failures.Add($"#{i} \"{Escape(text)}\": ours {Show(ours)}, Rust {Show(rust)}");
            if (pair is null) continue;
            // The wrapper encodes single texts: [CLS] A [SEP] + B [SEP] is the BERT template for the pair.
            pairs++;
            int[] expected = [.. rust, .. subject.RustIds(pair)[1..]];
            int[] actual = subject.Ours.Encode(text, pair).Ids;
            if (!actual.AsSpan().SequenceEqual(expected))
                failures.Add($"#{i} pair \"{Escape(text)}\" / \"{Escape(pair)}\": ours {Show(actual)}, Rust {Show(expected)}");
        }
        TestContext.Out.WriteLine($"{relative}: {CorpusSize} texts + {pairs} pairs in {watch.Elapsed.TotalSeconds:F1} s, {failures.Count} mismatches");
        Assert.That(failures, Is.Empty, $"{failures.Count} mismatches:\n" + string.Join("\n", failures.Take(MaxReported)));
    }

    /// <summary>
    /// The same scalar values (between letters) through `bertsharp tokenize` in a child process with
    /// InvariantGlobalization, compared with the Rust library: the tables, not ICU, decide.
    /// </summary>
    [TestCaseSource(nameof(Tokenizers))]
    public void InvariantGlobalizationMatchesRustOnEveryScalarValue(string relative)
    {
        using var subject = Load(relative);
        var chunks = ScalarChunks(betweenLetters: true).ToList();
        var input = new StringBuilder();
        foreach (var (text, _, _) in chunks)
            input.Append(JsonSerializer.Serialize(new Dictionary<string, string?> { ["text"] = text }, TestJsonContext.Default.DictionaryStringString)).Append('\n');
        string[] lines = InvariantGlobalizationTests.RunCli(["tokenize", "--model", subject.Directory], input.ToString());
        Assert.That(lines, Has.Length.EqualTo(chunks.Count));
        var failures = new List<string>();
        for (int i = 0; i < chunks.Count; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            int[] ids = doc.RootElement.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            if (!ids.AsSpan().SequenceEqual(subject.RustIds(chunks[i].Text))) failures.Add($"chunk from U+{chunks[i].First:X4}");
        }
        Assert.That(failures, Is.Empty, string.Join(", ", failures.Take(MaxReported)));
    }
}
