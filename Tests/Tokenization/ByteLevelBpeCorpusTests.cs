using System.Text.Json;
using BertSharp.Tokenization;

namespace BertSharp.Tests.Tokenization;

/// <summary>
/// shared/golden/families/tokenizers/bpe.jsonl (+ bpe.errors.jsonl): the RoBERTa-style byte-level BPE tokenizer against
/// Hugging Face's Rust tokenizers 0.23.2. Every field of every record must be equal: ids, tokens, type ids, attention
/// mask, special-tokens mask, offsets (UTF-16, offsets_utf16) and sequence ids; every error record must be refused.
/// </summary>
public class ByteLevelBpeCorpusTests
{
    private const string Folder = "golden/families/tokenizers";

    private static BertTokenizer Load() => BertTokenizer.FromDirectory(SharedData.Require($"{Folder}/bpe"));

    /// <summary>A record's options, read like the keyword arguments of transformers' __call__.</summary>
    internal static EncodeOptions ReadOptions(JsonElement r)
    {
        var options = new EncodeOptions();
        if (r.TryGetProperty("options", out var o) && o.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in o.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "max_length": options.MaxLength = p.Value.GetInt32(); break;
                    case "truncation": options.Truncation = GoldenCorpus.ParseTruncation(p.Value.GetString()!); break;
                    case "padding": options.Padding = GoldenCorpus.ParsePadding(p.Value.GetString()!); break;
                    case "pad_to_multiple_of": options.PadToMultipleOf = p.Value.GetInt32(); break;
                    case "add_special_tokens": options.AddSpecialTokens = p.Value.GetBoolean(); break;
                    case "truncation_side": options.TruncationSide = p.Value.GetString() == "left" ? TruncationSide.Left : TruncationSide.Right; break;
                    case "padding_side": options.PaddingSide = p.Value.GetString() == "left" ? PaddingSide.Left : PaddingSide.Right; break;
                    default: throw new FormatException($"unknown option {p.Name}");
                }
            }
        }
        return options;
    }

    internal static string Escape(string s) =>
        "\"" + string.Concat(s.Select(c => c is >= ' ' and < (char)0x7f ? c.ToString() : $"\\u{(int)c:x4}")) + "\"";

    private static int[] Ints(JsonElement a) => a.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    /// <summary>null when equal, else the first difference.</summary>
    internal static string? Compare(JsonElement r, Encoding e)
    {
        if (!Ints(r.GetProperty("ids")).SequenceEqual(e.Ids))
            return $"ids: expected [{string.Join(",", Ints(r.GetProperty("ids")))}] got [{string.Join(",", e.Ids)}]";
        var tokens = r.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToArray();
        if (!tokens.SequenceEqual(e.Tokens)) return $"tokens: expected [{string.Join(" ", tokens)}] got [{string.Join(" ", e.Tokens)}]";
        if (!Ints(r.GetProperty("type_ids")).SequenceEqual(e.TypeIds)) return "type_ids differ";
        if (!Ints(r.GetProperty("attention_mask")).SequenceEqual(e.AttentionMask)) return "attention_mask differs";
        if (!Ints(r.GetProperty("special_tokens_mask")).SequenceEqual(e.SpecialTokensMask))
            return $"special_tokens_mask: expected [{string.Join(",", Ints(r.GetProperty("special_tokens_mask")))}] got [{string.Join(",", e.SpecialTokensMask)}]";
        var offsets = r.GetProperty("offsets_utf16").EnumerateArray().Select(o => (o[0].GetInt32(), o[1].GetInt32())).ToArray();
        if (!offsets.SequenceEqual(e.Offsets))
            return $"offsets: expected [{string.Join(" ", offsets)}] got [{string.Join(" ", e.Offsets)}]";
        var seq = r.GetProperty("sequence_ids").EnumerateArray().Select(s => s.ValueKind == JsonValueKind.Null ? -1 : s.GetInt32()).ToArray();
        if (!seq.SequenceEqual(e.SequenceIds)) return "sequence_ids differ";
        return null;
    }

    [Test]
    public void EveryRecordEqualsTheRustLibrary()
    {
        var tokenizer = Load();
        var failures = new List<string>();
        int total = 0;
        foreach (string line in File.ReadLines(SharedData.Require($"{Folder}/bpe.jsonl")))
        {
            if (line.Length == 0) continue;
            total++;
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            string name = r.GetProperty("case").GetString()!;
            string text = r.GetProperty("text").GetString()!;
            string? pair = r.TryGetProperty("text_pair", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
            var options = ReadOptions(r);
            try
            {
                string? diff = Compare(r, tokenizer.Encode(text, pair, options));
                if (diff is not null) failures.Add($"{name} {Escape(text)}: {diff}");
            }
            catch (TokenizerException ex) { failures.Add($"{name}: threw {ex.Message}"); }
        }
        Assert.That(total, Is.EqualTo(427));
        Assert.That(failures, Is.Empty, $"{failures.Count}/{total} records differ:\n" + string.Join("\n", failures.Take(40)));
    }

    [Test]
    public void EveryErrorRecordIsRefused()
    {
        var tokenizer = Load();
        int total = 0;
        var accepted = new List<string>();
        foreach (string line in File.ReadLines(SharedData.Require($"{Folder}/bpe.errors.jsonl")))
        {
            if (line.Length == 0) continue;
            total++;
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            string text = r.GetProperty("text").GetString()!;
            string? pair = r.TryGetProperty("text_pair", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
            var options = ReadOptions(r);
            string expected = r.GetProperty("error").GetString()!;
            try
            {
                tokenizer.Encode(text, pair, options);
                accepted.Add(r.GetProperty("case").GetString()!);
            }
            catch (TokenizerException ex)
            {
                // Same refusal as the Rust library, in BertSharp's words.
                string reason = expected.Contains("too short") ? "too short" : expected.Contains("Second sequence not provided") ? "pair" : expected;
                Assert.That(ex.Message, Does.Contain(reason), r.GetProperty("case").GetString());
            }
        }
        Assert.That(total, Is.EqualTo(20));
        Assert.That(accepted, Is.Empty, "accepted inputs the Rust library refuses");
    }

    [Test]
    public void EncodeIdsAllocatesNothingInTheSteadyState()
    {
        var tokenizer = Load();
        string text = "Hello world, it's 🙂 a test of byte-level BPE:\tnumbers 12345, ünïcödé and 東京.  ";
        var ids = new int[128];
        int n = tokenizer.EncodeIds(text, ids);
        Assert.That(ids[..n], Is.EqualTo(tokenizer.Encode(text).Ids));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) tokenizer.EncodeIds(text, ids);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void DecodeRoundTripsTheText()
    {
        var tokenizer = Load();
        foreach (string text in new[] { "Hello world", " leading and  double spaces ", "🙂 émoji\tand\nlines", "東京は日本の首都" })
            Assert.That(tokenizer.Decode(tokenizer.Encode(text).Ids), Is.EqualTo(text));
        Assert.That(tokenizer.Decode(tokenizer.Encode("a <mask> b").Ids, skipSpecialTokens: false), Is.EqualTo("<s>a<mask> b</s>"), "the lstripped space is not part of <mask>'s vocabulary entry (Rust decodes the same)");
    }
}
