using System.Text.Json;

namespace BertSharp.Weights;

/// <summary>
/// model.safetensors.index.json: {"metadata": {"total_size": bytes}, "weight_map": {tensor name: shard file name}}.
/// Shard names must be plain file names in the same folder.
/// </summary>
internal sealed class ShardIndex
{
    public const string FileName = "model.safetensors.index.json";

    public required string Path { get; init; }
    /// <summary>Tensor name -> shard file name, in file order.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> WeightMap { get; init; }
    /// <summary>Distinct shard file names in first-mention order.</summary>
    public required IReadOnlyList<string> ShardFiles { get; init; }
    public long? TotalSize { get; init; }

    public static ShardIndex Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{path}: cannot read: {e.Message}", e);
        }
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
            throw new CheckpointException($"{path}: not valid UTF-8 (so not valid JSON)");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes); }
        catch (JsonException e) { throw new CheckpointException($"{path}: not valid JSON ({e.Message})", e); }
        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new CheckpointException($"{path}: must be a JSON object, found {root.ValueKind}");
            long? totalSize = null;
            if (root.TryGetProperty("metadata", out JsonElement meta) && meta.ValueKind == JsonValueKind.Object &&
                meta.TryGetProperty("total_size", out JsonElement ts) && ts.ValueKind == JsonValueKind.Number && ts.TryGetInt64(out long t))
                totalSize = t;
            if (!root.TryGetProperty("weight_map", out JsonElement map) || map.ValueKind != JsonValueKind.Object)
                throw new CheckpointException($"{path}: missing \"weight_map\" object");
            var entries = new List<KeyValuePair<string, string>>();
            var shards = new List<string>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty p in map.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                    throw new CheckpointException($"{path}: weight_map['{ErrorText.Shorten(p.Name)}'] must be a file name string, found {ErrorText.Describe(p.Value)}");
                string shard = p.Value.GetString()!;
                if (shard.Length == 0 || shard != System.IO.Path.GetFileName(shard) || shard is "." or ".." || shard.Contains('\\'))
                    throw new CheckpointException($"{path}: weight_map['{ErrorText.Shorten(p.Name)}'] = \"{ErrorText.Shorten(shard)}\" is not a plain file name in the checkpoint folder");
                if (!names.Add(p.Name))
                    throw new CheckpointException($"{path}: weight_map lists tensor '{ErrorText.Shorten(p.Name)}' twice");
                entries.Add(new(p.Name, shard));
                if (!shards.Contains(shard)) shards.Add(shard);
            }
            if (entries.Count == 0)
                throw new CheckpointException($"{path}: weight_map is empty");
            return new ShardIndex { Path = path, WeightMap = entries, ShardFiles = shards, TotalSize = totalSize };
        }
    }
}
