using System.Text.Json;
using BertSharp.Tokenization;

namespace BertSharp.Tests.Tokenization;

/// <summary>
/// Every record of shared/golden/families/tokenizers/{unigram,unigram-byte-fallback}.jsonl (expected output of Hugging
/// Face's Rust tokenizers 0.23.2) must come out exactly: ids, tokens, type ids, attention mask, special-tokens mask and
/// UTF-16 offsets; every record of the .errors.jsonl files must be refused with a TokenizerException.
/// </summary>
public class FamiliesTokenizerCorpusTests
{
    internal sealed record Record(string Case, string Text, string? Pair, EncodeOptions Options, JsonElement Raw);

    internal static List<Record> Load(string path, out JsonDocument[] docs)
    {
        var records = new List<Record>();
        var list = new List<JsonDocument>();
        foreach (string line in File.ReadLines(path))
        {
            if (line.Length == 0) continue;
            var doc = JsonDocument.Parse(line);
            list.Add(doc);
            var r = doc.RootElement;
            var options = new EncodeOptions();
            if (r.TryGetProperty("options", out var o) && o.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in o.EnumerateObject())
                {
                    switch (p.Name)
                    {
                        case "truncation": options.Truncation = GoldenCorpus.ParseTruncation(p.Value.GetString()!); break;
                        case "max_length": options.MaxLength = p.Value.GetInt32(); break;
                        case "padding": options.Padding = GoldenCorpus.ParsePadding(p.Value.GetString()!); break;
                        case "pad_to_multiple_of": options.PadToMultipleOf = p.Value.GetInt32(); break;
                        case "padding_side": options.PaddingSide = p.Value.GetString() == "left" ? PaddingSide.Left : PaddingSide.Right; break;
                        case "truncation_side": options.TruncationSide = p.Value.GetString() == "left" ? TruncationSide.Left : TruncationSide.Right; break;
                        case "add_special_tokens": options.AddSpecialTokens = p.Value.GetBoolean(); break;
                        case "stride": Assert.That(p.Value.GetInt32(), Is.Zero); break;
                        default: Assert.Fail($"{path}: unknown option {p.Name}"); break;
                    }
                }
            }
            records.Add(new Record(r.GetProperty("case").GetString()!, r.GetProperty("text").GetString()!,
                r.TryGetProperty("text_pair", out var pair) && pair.ValueKind == JsonValueKind.String ? pair.GetString() : null, options, r));
        }
        docs = list.ToArray();
        return records;
    }

    private static int[] Ints(JsonElement a) => a.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    /// <summary>The fields that differ between an encoding and a record, or null when all are equal.</summary>
    internal static string? Compare(Record c, Encoding e)
    {
        var r = c.Raw;
        var problems = new List<string>();
        if (!e.Ids.SequenceEqual(Ints(r.GetProperty("ids")))) problems.Add("ids");
        if (!e.Tokens.SequenceEqual(r.GetProperty("tokens").EnumerateArray().Select(x => x.GetString()!))) problems.Add("tokens");
        if (!e.TypeIds.SequenceEqual(Ints(r.GetProperty("type_ids")))) problems.Add("type_ids");
        if (!e.AttentionMask.SequenceEqual(Ints(r.GetProperty("attention_mask")))) problems.Add("attention_mask");
        if (!e.SpecialTokensMask.SequenceEqual(Ints(r.GetProperty("special_tokens_mask")))) problems.Add("special_tokens_mask");
        var offsets = r.GetProperty("offsets_utf16").EnumerateArray().Select(x => (x[0].GetInt32(), x[1].GetInt32())).ToArray();
        if (!e.Offsets.SequenceEqual(offsets)) problems.Add("offsets_utf16");
        if (problems.Count == 0) return null;
        return $"{c.Case} ({string.Join(",", problems)}) text={JsonSerializer.Serialize(c.Text, TestJsonContext.Default.String)}"
            + (c.Pair is null ? "" : $" pair={JsonSerializer.Serialize(c.Pair, TestJsonContext.Default.String)}")
            + $"\n    expected: {string.Join(" ", r.GetProperty("tokens").EnumerateArray().Select(x => x.GetString()))} | {string.Join(" ", offsets)}"
            + $"\n    actual:   {string.Join(" ", e.Tokens)} | {string.Join(" ", e.Offsets)}";
    }

    [TestCase("unigram")]
    [TestCase("unigram-byte-fallback")]
    public void EveryRecordMatchesTheRustLibrary(string name)
    {
        var tokenizer = BertTokenizer.FromDirectory(SharedData.Require($"golden/families/tokenizers/{name}"));
        var records = Load(SharedData.Require($"golden/families/tokenizers/{name}.jsonl"), out var docs);
        Assert.That(records, Has.Count.GreaterThanOrEqualTo(400));
        var failures = new List<string>();
        foreach (var c in records)
        {
            try
            {
                var e = tokenizer.Encode(c.Text, c.Pair, c.Options);
                if (Compare(c, e) is { } diff) failures.Add(diff);
            }
            catch (Exception ex) { failures.Add($"{c.Case}: {ex.GetType().Name}: {ex.Message}"); }
        }
        foreach (var d in docs) d.Dispose();
        Assert.That(failures, Is.Empty, $"{failures.Count}/{records.Count} records differ:\n" + string.Join("\n", failures.Take(25)));
    }

    [TestCase("unigram")]
    [TestCase("unigram-byte-fallback")]
    public void EveryErrorRecordIsRefused(string name)
    {
        var tokenizer = BertTokenizer.FromDirectory(SharedData.Require($"golden/families/tokenizers/{name}"));
        var records = Load(SharedData.Require($"golden/families/tokenizers/{name}.errors.jsonl"), out var docs);
        Assert.That(records, Has.Count.GreaterThanOrEqualTo(20));
        foreach (var c in records)
            Assert.That(() => tokenizer.Encode(c.Text, c.Pair, c.Options), Throws.TypeOf<TokenizerException>().With.Message.Contains("truncation"), c.Case);
        foreach (var d in docs) d.Dispose();
    }

    /// <summary>
    /// The same records through `bertsharp tokenize` in a child process with InvariantGlobalization: ids, tokens,
    /// type ids, mask and offsets equal the Rust output (records whose options the CLI has no flag for are skipped).
    /// </summary>
    [TestCase("unigram")]
    [TestCase("unigram-byte-fallback")]
    public void CliInInvariantModeMatchesEveryRecord(string name)
    {
        string model = SharedData.Require($"golden/families/tokenizers/{name}");
        var records = Load(SharedData.Require($"golden/families/tokenizers/{name}.jsonl"), out var docs);
        var usable = records.Where(c => c.Options.AddSpecialTokens && c.Options.PadToMultipleOf is null && c.Options.Padding != PaddingStrategy.Longest).ToList();
        Assert.That(usable, Has.Count.GreaterThan(400));
        var failures = new List<string>();
        foreach (var group in usable.GroupBy(c => (c.Options.MaxLength, c.Options.Truncation, c.Options.Padding, c.Options.TruncationSide, c.Options.PaddingSide)))
        {
            var list = group.ToList();
            var o = list[0].Options;
            var args = new List<string> { "tokenize", "--model", model };
            if (o.MaxLength is { } max) args.AddRange(["--max-length", max.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            if (o.Truncation is { } t) args.AddRange(["--truncation", t switch { TruncationStrategy.LongestFirst => "longest_first", TruncationStrategy.OnlyFirst => "only_first", _ => "only_second" }]);
            if (o.Padding == PaddingStrategy.MaxLength) args.AddRange(["--padding", "max_length"]);
            if (o.TruncationSide == TruncationSide.Left) args.AddRange(["--truncation-side", "left"]);
            if (o.PaddingSide == PaddingSide.Left) args.AddRange(["--padding-side", "left"]);
            var input = new System.Text.StringBuilder();
            foreach (var c in list)
                input.Append(JsonSerializer.Serialize(new Dictionary<string, string?> { ["text"] = c.Text, ["text_pair"] = c.Pair }, TestJsonContext.Default.DictionaryStringString)).Append('\n');
            string[] lines = InvariantGlobalizationTests.RunCli(args, input.ToString());
            Assert.That(lines, Has.Length.EqualTo(list.Count));
            for (int i = 0; i < list.Count; i++)
            {
                using var doc = JsonDocument.Parse(lines[i]);
                var r = doc.RootElement;
                var expected = list[i].Raw;
                bool same = Ints(r.GetProperty("ids")).SequenceEqual(Ints(expected.GetProperty("ids")))
                    && r.GetProperty("tokens").EnumerateArray().Select(x => x.GetString()).SequenceEqual(expected.GetProperty("tokens").EnumerateArray().Select(x => x.GetString()))
                    && Ints(r.GetProperty("type_ids")).SequenceEqual(Ints(expected.GetProperty("type_ids")))
                    && Ints(r.GetProperty("attention_mask")).SequenceEqual(Ints(expected.GetProperty("attention_mask")))
                    && r.GetProperty("offsets").EnumerateArray().Select(x => (x[0].GetInt32(), x[1].GetInt32()))
                        .SequenceEqual(expected.GetProperty("offsets_utf16").EnumerateArray().Select(x => (x[0].GetInt32(), x[1].GetInt32())));
                if (!same) failures.Add($"{list[i].Case}: CLI (invariant) output differs: {lines[i]}");
            }
        }
        foreach (var d in docs) d.Dispose();
        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(20)));
    }

    /// <summary>
    /// Decoding the ids of a text gives the text back up to what the normalizer changes: for plain ASCII words with
    /// single spaces (which nmt_nfkc and Metaspace keep) the round trip is exact.
    /// </summary>
    [TestCase("unigram")]
    [TestCase("unigram-byte-fallback")]
    public void DecodeRoundTripsPlainText(string name)
    {
        var tokenizer = BertTokenizer.FromDirectory(SharedData.Require($"golden/families/tokenizers/{name}"));
        foreach (string text in new[] { "Hello world", "The quick brown fox jumps over the lazy dog.", "a b c", "Grüße aus Köln", "東京タワー" })
        {
            var ids = tokenizer.Encode(text).Ids;
            Assert.That(tokenizer.Decode(ids), Is.EqualTo(text), text);
            Assert.That(tokenizer.Decode(ids, skipSpecialTokens: false), Does.StartWith("<s>").And.EndWith("</s>"), text);
        }
    }

    [Test]
    public void ByteFallbackDecodesUnknownCharsBackToText()
    {
        var tokenizer = BertTokenizer.FromDirectory(SharedData.Require("golden/families/tokenizers/unigram-byte-fallback"));
        const string text = "x \U00013000 y";   // an Egyptian hieroglyph: no piece, so byte tokens
        var e = tokenizer.Encode(text);
        Assert.That(e.Tokens, Has.Some.Matches("^<0x[0-9A-F]{2}>$"));
        Assert.That(tokenizer.Decode(e.Ids), Is.EqualTo(text));
    }

    [Test]
    public void SteadyStateEncodeIdsAllocatesNothing()
    {
        var tokenizer = BertTokenizer.FromDirectory(SharedData.Require("golden/families/tokenizers/unigram"));
        string text = string.Join(' ', Enumerable.Repeat("Der schnelle braune Fuchs springt über den faulen Hund, 東京 and more text.", 20));
        var ids = new int[2048];
        for (int i = 0; i < 100; i++) tokenizer.EncodeIds(text, ids);   // warm up: JIT tiers, workspace buffers
        // Some round of 20 calls allocates nothing (rounds, as EngineBehaviourTests: tiered recompilation may still be
        // finishing in the first; a per-call or per-token allocation shows in every round).
        var rounds = new List<long>();
        int n = 0;
        for (int round = 0; round < 5 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            long start = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++) n = tokenizer.EncodeIds(text, ids);
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - start);
        }
        Assert.That(n, Is.GreaterThan(200));
        Assert.That(rounds[^1], Is.Zero, $"bytes allocated by rounds of 20 steady-state EncodeIds calls: {string.Join(", ", rounds)}");
        long before;
        long allocated;
        // Encode allocates the Encoding and its arrays, not per token strings (tokens are the vocabulary's).
        tokenizer.Encode(text);
        before = GC.GetAllocatedBytesForCurrentThread();
        var e = tokenizer.Encode(text);
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.LessThan(64 * e.Length + 4096), "Encode allocates only the Encoding's arrays");
    }

    [TestCase("\"type\": \"Strip\"", "\"type\": \"Foo\"", "normalizer.normalizers[1].type 'Foo' is not supported")]
    [TestCase("\"prepend_scheme\": \"always\",\n    \"split\": true\n  },\n  \"post_processor\"", "\"prepend_scheme\": \"sometimes\",\n    \"split\": true\n  },\n  \"post_processor\"", "pre_tokenizer.prepend_scheme 'sometimes'")]
    [TestCase("\"type\": \"Unigram\",", "\"type\": \"Unigram\", \"dropout\": 0.1,", "model.dropout is not a supported setting")]
    [TestCase("\"Regex\": \" {2,}\"", "\"Regex\": \"(a|b)\"", "normalizer.normalizers[2].pattern.Regex")]
    public void BadComponentNamesTheJsonPath(string find, string replace, string expected)
    {
        string source = SharedData.Require("golden/families/tokenizers/unigram/tokenizer.json");
        string json = File.ReadAllText(source);
        Assume.That(json, Does.Contain(find));
        string dir = Path.Combine(Path.GetTempPath(), "bertsharp-badcomp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "tokenizer.json");
            int at = json.IndexOf(find, StringComparison.Ordinal);
            File.WriteAllText(path, json[..at] + replace + json[(at + find.Length)..]);
            Assert.That(() => BertTokenizer.FromTokenizerJson(path), Throws.TypeOf<TokenizerException>().With.Message.Contains(expected).And.Message.Contains("tokenizer.json"));
        }
        finally { Directory.Delete(dir, true); }
    }
}
