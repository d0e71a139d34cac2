using System.Text.Json;

namespace BertSharp.Engine;

/// <summary>One entry of modules.json: {"idx", "name", "path", "type"} (type e.g. "sentence_transformers.models.Dense").</summary>
public sealed record SentenceModuleEntry(int Index, string Name, string Path, string Type)
{
    /// <summary>The class name, the part of <see cref="Type"/> after its last dot ("Dense").</summary>
    public string ClassName => Type[(Type.LastIndexOf('.') + 1)..];
}

/// <summary>
/// The parts of a sentence-transformers model folder that decide its sentence embedding, as sentence-transformers
/// 5.x reads them (SentenceTransformer._load_sbert_model, models/Pooling.py; read at UKPLab/sentence-transformers
/// 5.2.0.dev0, commit 85ec645): modules.json (which modules run, in order), the Pooling module's config.json,
/// sentence_bert_config.json (max_seq_length) and config_sentence_transformers.json (prompts, default_prompt_name,
/// similarity_fn_name). Modules other than Pooling are read by the pipeline that runs them
/// (<see cref="SentenceTransformers.SentencePipeline"/>), so a folder for another kind of model still loads.
/// </summary>
public sealed class SentenceTransformersConfig
{
    /// <summary>The first of <see cref="PoolingModes"/> (Mean when the folder has no Pooling module).</summary>
    public PoolingMode Pooling => PoolingModes[0];
    /// <summary>
    /// The Pooling module's modes in the order sentence-transformers concatenates them (cls, max, mean,
    /// mean_sqrt_len_tokens, weightedmean, lasttoken); usually one.
    /// </summary>
    public IReadOnlyList<PoolingMode> PoolingModes { get; }
    /// <summary>Pooling include_prompt (default true): false excludes the prompt's tokens ([CLS] included) from pooling.</summary>
    public bool IncludePrompt { get; }
    /// <summary>Whether modules.json has a Normalize module.</summary>
    public bool Normalize { get; }
    /// <summary>sentence-transformers truncates inputs to this many tokens; null when not given.</summary>
    public int? MaxSeqLength { get; }
    /// <summary>modules.json in file order (sentence-transformers runs them in this order).</summary>
    public IReadOnlyList<SentenceModuleEntry> Modules { get; }
    /// <summary>config_sentence_transformers.json "prompts": name → text prepended to the input (e.g. "query" → "query: ").</summary>
    public IReadOnlyDictionary<string, string> Prompts { get; }
    /// <summary>config_sentence_transformers.json "default_prompt_name": the prompt used when a call names none; null = none.</summary>
    public string? DefaultPromptName { get; }
    /// <summary>config_sentence_transformers.json "similarity_fn_name"; null when absent (sentence-transformers then uses cosine).</summary>
    public string? SimilarityFunctionName { get; }
    /// <summary>The model folder.</summary>
    public string Directory { get; }

    private SentenceTransformersConfig(string directory, IReadOnlyList<SentenceModuleEntry> modules, IReadOnlyList<PoolingMode> poolingModes,
        bool includePrompt, bool normalize, int? maxSeqLength, IReadOnlyDictionary<string, string> prompts, string? defaultPromptName,
        string? similarity)
    {
        Directory = directory; Modules = modules; PoolingModes = poolingModes; IncludePrompt = includePrompt; Normalize = normalize;
        MaxSeqLength = maxSeqLength; Prompts = prompts; DefaultPromptName = defaultPromptName; SimilarityFunctionName = similarity;
    }

    /// <summary>Reads the folder's sentence-transformers files; null when it has no modules.json.</summary>
    public static SentenceTransformersConfig? TryLoad(string directory)
    {
        string modulesPath = Path.Combine(directory, "modules.json");
        if (!File.Exists(modulesPath)) return null;
        var modules = new List<SentenceModuleEntry>();
        using (JsonDocument doc = Parse(modulesPath))
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
                throw new BertSharp.Weights.ConfigException($"{modulesPath}: expected a JSON array of modules");
            int i = 0;
            foreach (JsonElement m in doc.RootElement.EnumerateArray())
            {
                if (m.ValueKind != JsonValueKind.Object)
                    throw new BertSharp.Weights.ConfigException($"{modulesPath}: module {i} is not a JSON object");
                string type = m.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
                if (type.Length == 0) throw new BertSharp.Weights.ConfigException($"{modulesPath}: module {i} has no \"type\"");
                string path = m.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
                string name = m.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                int idx = m.TryGetProperty("idx", out var x) && x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out int v) ? v : i;
                if (path.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(path))
                    throw new BertSharp.Weights.ConfigException($"{modulesPath}: module {i} path '{path}' leaves the model folder");
                modules.Add(new SentenceModuleEntry(idx, name, path, type));
                i++;
            }
        }

        IReadOnlyList<PoolingMode> modes = [PoolingMode.Mean];
        bool includePrompt = true, normalize = false;
        foreach (SentenceModuleEntry m in modules)
        {
            if (IsModule(m, "Pooling"))
            {
                string poolingPath = Path.Combine(directory, m.Path, "config.json");
                if (File.Exists(poolingPath))
                {
                    using JsonDocument pooling = Parse(poolingPath);
                    (modes, includePrompt) = ReadPooling(pooling.RootElement, poolingPath);
                }
            }
            else if (IsModule(m, "Normalize")) normalize = true;
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

        var prompts = new Dictionary<string, string>(StringComparer.Ordinal);
        string? defaultPrompt = null, similarity = null;
        string stPath = Path.Combine(directory, "config_sentence_transformers.json");
        if (File.Exists(stPath))
        {
            using JsonDocument st = Parse(stPath);
            JsonElement root = st.RootElement;
            if (root.TryGetProperty("prompts", out var pr) && pr.ValueKind != JsonValueKind.Null)
            {
                if (pr.ValueKind != JsonValueKind.Object) throw new BertSharp.Weights.ConfigException($"{stPath}: \"prompts\" must be an object of name → prompt text");
                foreach (JsonProperty kv in pr.EnumerateObject())
                {
                    if (kv.Value.ValueKind != JsonValueKind.String)
                        throw new BertSharp.Weights.ConfigException($"{stPath}: prompt \"{kv.Name}\" must be a string");
                    prompts[kv.Name] = kv.Value.GetString()!;
                }
            }
            defaultPrompt = OptionalString(root, "default_prompt_name", stPath);
            if (string.IsNullOrEmpty(defaultPrompt)) defaultPrompt = null;   // sentence-transformers: `if self.default_prompt_name:`
            if (defaultPrompt is not null && !prompts.ContainsKey(defaultPrompt))
                throw new BertSharp.Weights.ConfigException(
                    $"{stPath}: default_prompt_name '{defaultPrompt}' is not one of the prompts ({string.Join(", ", prompts.Keys)})");
            similarity = OptionalString(root, "similarity_fn_name", stPath);
            if (similarity is not null) SentenceTransformers.Similarity.Parse(similarity, stPath);
        }
        return new SentenceTransformersConfig(directory, modules, modes, includePrompt, normalize, maxSeq, prompts, defaultPrompt, similarity);
    }

    /// <summary>True when <paramref name="m"/> is sentence-transformers' module class <paramref name="className"/>.</summary>
    internal static bool IsModule(SentenceModuleEntry m, string className) =>
        m.Type.StartsWith("sentence_transformers.", StringComparison.Ordinal) && m.ClassName == className;

    private static string? OptionalString(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) throw new BertSharp.Weights.ConfigException($"{path}: \"{name}\" must be a string");
        return v.GetString();
    }

    /// <summary>
    /// Pooling/config.json as Pooling.__init__ takes it: "pooling_mode" (a name) overrides the flags; otherwise each
    /// pooling_mode_* flag with its Python default (mean_tokens true, the others false). Several flags concatenate.
    /// </summary>
    private static (IReadOnlyList<PoolingMode>, bool) ReadPooling(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new BertSharp.Weights.ConfigException($"{path}: expected a JSON object");
        bool Flag(string name, bool byDefault)
        {
            if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return byDefault;
            if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) return v.GetBoolean();
            throw new BertSharp.Weights.ConfigException($"{path}: \"{name}\" must be true or false, got {v}");
        }
        bool cls = Flag("pooling_mode_cls_token", false), max = Flag("pooling_mode_max_tokens", false),
            mean = Flag("pooling_mode_mean_tokens", true), sqrt = Flag("pooling_mode_mean_sqrt_len_tokens", false),
            weighted = Flag("pooling_mode_weightedmean_tokens", false), last = Flag("pooling_mode_lasttoken", false);
        if (OptionalString(root, "pooling_mode", path) is string name)
        {
            name = name.ToLowerInvariant();
            if (name is not ("cls" or "lasttoken" or "max" or "mean" or "mean_sqrt_len_tokens" or "weightedmean"))
                throw new BertSharp.Weights.ConfigException(
                    $"{path}: pooling_mode '{name}' is not one of cls, lasttoken, max, mean, mean_sqrt_len_tokens, weightedmean");
            cls = name == "cls"; max = name == "max"; mean = name == "mean"; sqrt = name == "mean_sqrt_len_tokens";
            weighted = name == "weightedmean"; last = name == "lasttoken";
        }
        var modes = new List<PoolingMode>();
        if (cls) modes.Add(PoolingMode.Cls);
        if (max) modes.Add(PoolingMode.Max);
        if (mean) modes.Add(PoolingMode.Mean);
        if (sqrt) modes.Add(PoolingMode.MeanSqrtLen);
        if (weighted) modes.Add(PoolingMode.WeightedMean);
        if (last) modes.Add(PoolingMode.LastToken);
        if (modes.Count == 0) throw new BertSharp.Weights.ConfigException($"{path}: every pooling_mode_* flag is false: no pooling mode");
        return (modes, Flag("include_prompt", true));
    }

    internal static JsonDocument Parse(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        // JsonDocument leaves string contents unchecked until read (then throws InvalidOperationException).
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
            throw new BertSharp.Weights.ConfigException($"{path}: not valid UTF-8 (so not valid JSON)");
        try { return JsonDocument.Parse(bytes); }
        catch (JsonException e) { throw new BertSharp.Weights.ConfigException($"{path}: not valid JSON ({e.Message})"); }
    }
}
