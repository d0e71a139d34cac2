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
}
