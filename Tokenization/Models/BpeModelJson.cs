using System.Text.Json;

namespace BertSharp.Tokenization.Models;

/// <summary>
/// Reads tokenizer.json's <c>"model": {"type": "BPE", ...}</c> (Rust <c>BPEVisitor</c>): vocab, merges as pairs
/// <c>[["Ġ","t"], ...]</c> or legacy <c>"Ġ t"</c> strings, unk_token, continuing_subword_prefix, end_of_word_suffix,
/// fuse_unk, byte_fallback, ignore_merges. Dropout must be null or 0 (sampling is not supported); any other field is
/// an error naming its path.
/// </summary>
internal static class BpeModelJson
{
    public static BpeModel Read(JsonFields f, JsonElement model, string path)
    {
        f.RejectUnknown(model, path, "type", "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix",
            "fuse_unk", "byte_fallback", "ignore_merges", "vocab", "merges");
        if (f.TryGet(model, "dropout", out var dropout))
        {
            if (dropout.ValueKind != JsonValueKind.Number || !dropout.TryGetDouble(out double p))
                throw f.Error(JsonFields.Join(path, "dropout"), $"must be a number or null, got {JsonFields.Describe(dropout)}");
            if (p is < 0 or > 1) throw f.Error(JsonFields.Join(path, "dropout"), $"must be between 0 and 1, got {p}");
            if (p != 0) throw f.Error(JsonFields.Join(path, "dropout"), $"{p} is not supported (BPE dropout samples merges at random; only null or 0)");
        }
        if (!f.TryGet(model, "vocab", out var vocabJson)) throw f.Error(JsonFields.Join(path, "vocab"), "is missing");
        f.Object(vocabJson, JsonFields.Join(path, "vocab"));
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabJson.EnumerateObject())
        {
            string at = $"{path}.vocab[\"{entry.Name}\"]";
            int id = f.Int(entry.Value, at);
            if (id < 0) throw f.Error(at, $"id must not be negative, got {id}");
            vocab[entry.Name] = id;
        }
        if (!f.TryGet(model, "merges", out var mergesJson)) throw f.Error(JsonFields.Join(path, "merges"), "is missing");
        if (mergesJson.ValueKind != JsonValueKind.Array)
            throw f.Error(JsonFields.Join(path, "merges"), $"must be an array, got {JsonFields.Describe(mergesJson)}");
        var merges = new List<(string, string)>(mergesJson.GetArrayLength());
        int i = 0;
        foreach (var m in mergesJson.EnumerateArray())
        {
            string at = $"{path}.merges[{i++}]";
            if (m.ValueKind == JsonValueKind.String) merges.Add(ParseLegacy(m.GetString()!, f, at));
            else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2
                && m[0].ValueKind == JsonValueKind.String && m[1].ValueKind == JsonValueKind.String)
                merges.Add((m[0].GetString()!, m[1].GetString()!));
            else throw f.Error(at, $"must be a pair [\"left\", \"right\"] or a string \"left right\", got {JsonFields.Describe(m)}");
        }
        return new BpeModel(vocab, merges, $"{f.File}: {path}",
            unkToken: f.String(model, path, "unk_token"),
            continuingSubwordPrefix: f.String(model, path, "continuing_subword_prefix"),
            endOfWordSuffix: f.String(model, path, "end_of_word_suffix"),
            fuseUnk: f.Bool(model, path, "fuse_unk") ?? false,
            byteFallback: f.Bool(model, path, "byte_fallback") ?? false,
            ignoreMerges: f.Bool(model, path, "ignore_merges") ?? false);
    }

    /// <summary>A legacy "left right" merge (also a merges.txt line): exactly one space.</summary>
    public static (string, string) ParseLegacy(string line, JsonFields f, string at)
    {
        int space = line.IndexOf(' ');
        if (space < 0 || line.IndexOf(' ', space + 1) >= 0)
            throw f.Error(at, $"must be two tokens separated by one space, got \"{line}\"");
        return (line[..space], line[(space + 1)..]);
    }
}
