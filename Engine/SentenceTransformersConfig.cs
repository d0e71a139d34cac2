using System.Text.Json;

namespace BertSharp.Engine;

/// <summary>
/// The parts of a sentence-transformers model folder that decide its sentence embedding:
/// modules.json (which modules run, e.g. Pooling then Normalize), the Pooling module's config.json and
/// sentence_bert_config.json (max_seq_length).
/// </summary>
public sealed class SentenceTransformersConfig
{
    public PoolingMode Pooling { get; }
    public bool Normalize { get; }
    /// <summary>sentence-transformers truncates inputs to this many tokens; null when not given.</summary>
    public int? MaxSeqLength { get; }

    private SentenceTransformersConfig(PoolingMode pooling, bool normalize, int? maxSeqLength)
    {
        Pooling = pooling; Normalize = normalize; MaxSeqLength = maxSeqLength;
    }

    /// <summary>Reads the folder's sentence-transformers files; null when it has no modules.json.</summary>
    public static SentenceTransformersConfig? TryLoad(string directory)
    {
        string modulesPath = Path.Combine(directory, "modules.json");
        if (!File.Exists(modulesPath)) return null;
        string? poolingDir = null;
        bool normalize = false;
        using (JsonDocument modules = Parse(modulesPath))
        {
            if (modules.RootElement.ValueKind != JsonValueKind.Array)
                throw new BertSharp.Weights.ConfigException($"{modulesPath}: expected a JSON array of modules");
            foreach (JsonElement m in modules.RootElement.EnumerateArray())
            {
                string type = m.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
                string path = m.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
                if (type.EndsWith(".Pooling", StringComparison.Ordinal)) poolingDir = Path.Combine(directory, path);
                else if (type.EndsWith(".Normalize", StringComparison.Ordinal)) normalize = true;
            }
        }
        PoolingMode mode = PoolingMode.Mean;
        if (poolingDir is not null)
        {
            string poolingPath = Path.Combine(poolingDir, "config.json");
            if (File.Exists(poolingPath))
            {
                using JsonDocument pooling = Parse(poolingPath);
                mode = ReadPoolingMode(pooling.RootElement, poolingPath);
            }
        }
        int? maxSeq = null;
        string sbertPath = Path.Combine(directory, "sentence_bert_config.json");
        if (File.Exists(sbertPath))
        {
            using JsonDocument sbert = Parse(sbertPath);
            if (sbert.RootElement.TryGetProperty("max_seq_length", out var v) && v.ValueKind == JsonValueKind.Number)
            {
                if (!v.TryGetInt32(out int n) || n <= 0) throw new BertSharp.Weights.ConfigException($"{sbertPath}: max_seq_length {v} is not a positive integer");
                maxSeq = n;
            }
        }
        return new SentenceTransformersConfig(mode, normalize, maxSeq);
    }

    private static PoolingMode ReadPoolingMode(JsonElement root, string path)
    {
        bool Flag(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
        var modes = new List<PoolingMode>();
        if (Flag("pooling_mode_cls_token")) modes.Add(PoolingMode.Cls);
        if (Flag("pooling_mode_mean_tokens")) modes.Add(PoolingMode.Mean);
        if (Flag("pooling_mode_max_tokens")) modes.Add(PoolingMode.Max);
        if (Flag("pooling_mode_mean_sqrt_len_tokens")) modes.Add(PoolingMode.MeanSqrtLen);
        if (Flag("pooling_mode_weightedmean_tokens") || Flag("pooling_mode_lasttoken"))
            throw new BertSharp.Weights.ConfigException($"{path}: weightedmean / lasttoken pooling is not supported");
        if (modes.Count > 1)
            throw new BertSharp.Weights.ConfigException($"{path}: several pooling modes at once (concatenated) are not supported: {string.Join(", ", modes)}");
        return modes.Count == 1 ? modes[0] : PoolingMode.Mean;
    }

    private static JsonDocument Parse(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        // JsonDocument leaves string contents unchecked until read (then throws InvalidOperationException).
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
            throw new BertSharp.Weights.ConfigException($"{path}: not valid UTF-8 (so not valid JSON)");
        try { return JsonDocument.Parse(bytes); }
        catch (JsonException e) { throw new BertSharp.Weights.ConfigException($"{path}: not valid JSON ({e.Message})"); }
    }
}
