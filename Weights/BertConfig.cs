using System.Globalization;
using System.Text.Json;

namespace BertSharp.Weights;

/// <summary>
/// The parts of a Hugging Face config.json that decide a BERT model's shapes and behaviour. Immutable and validated:
/// anything we cannot run exactly (relative position embeddings, an unknown activation, heads that don't divide the
/// hidden size) is a <see cref="ConfigException"/> naming the file and the field. Missing fields take transformers'
/// BertConfig defaults (bert-base sizes); a null or float (32.0) size, and a null where transformers would compute
/// something else (position_embedding_type, layer_norm_eps, hidden_act, tie_word_embeddings), is rejected by name.
/// </summary>
public sealed class BertConfig
{
    /// <summary>
    /// Sanity limit on num_hidden_layers (BERT-family encoders have at most a few dozen): loaders size per-layer lists
    /// by it before the checkpoint can contradict it. <see cref="Checkpoint.Open"/> also checks it against the layers stored.
    /// </summary>
    public const int MaxHiddenLayers = 10_000;

    public string SourceName { get; }
    public int HiddenSize { get; }
    public int NumHiddenLayers { get; }
    public int NumAttentionHeads { get; }
    public int IntermediateSize { get; }
    public int MaxPositionEmbeddings { get; }
    /// <summary>0 for families without token types (DistilBERT, MPNet).</summary>
    public int TypeVocabSize { get; }
    public int VocabSize { get; }
    public int PadTokenId { get; }
    public float LayerNormEps { get; }
    public HiddenActivation HiddenAct { get; }
    /// <summary>Always "absolute" (anything else is rejected); DistilBERT and MPNet have no such field.</summary>
    public string PositionEmbeddingType { get; }
    /// <summary>"bert" (or absent in the file, then "bert"), "roberta", "xlm-roberta", "camembert", "distilbert", "electra" or "mpnet".</summary>
    public string ModelType { get; }
    /// <summary>The family member model_type names: its embeddings, position scheme, attention bias and tensor names.</summary>
    public EncoderArchitecture Encoder { get; }
    /// <summary>Width of the embedding tables: embedding_size for ELECTRA (projected to hidden_size when different), else hidden_size.</summary>
    public int EmbeddingSize { get; }
    /// <summary>Rows of MPNet's relative_attention_bias table (relative_attention_num_buckets); 0 for other families.</summary>
    public int RelativeAttentionNumBuckets { get; }
    /// <summary>The padding_idx RoBERTa-style positions count from (<see cref="PositionScheme.AfterPadding"/>); -1 for positions from 0.</summary>
    public int PositionPaddingIdx { get; }
    /// <summary>
    /// The most tokens a row can have: max_position_embeddings, minus padding_idx + 1 for RoBERTa-style positions
    /// (roberta-base: 514 − 2 = 512).
    /// </summary>
    public int MaxTokens { get; }
    /// <summary>e.g. ["BertForMaskedLM"]; empty when absent.</summary>
    public IReadOnlyList<string> Architectures { get; }
    /// <summary>Empty when config.json has no id2label.</summary>
    public IReadOnlyDictionary<int, string> Id2Label { get; }
    public IReadOnlyDictionary<string, int> Label2Id { get; }
    /// <summary>null, "regression", "single_label_classification" or "multi_label_classification".</summary>
    public string? ProblemType { get; }
    public bool TieWordEmbeddings { get; }
    /// <summary>num_labels when given, else the size of id2label when given, else null.</summary>
    public int? NumLabels { get; }
    /// <summary>classifier_dropout etc. are training-only and ignored.</summary>
    public int HeadDim => HiddenSize / NumAttentionHeads;

    private BertConfig(JsonElement root, string source)
    {
        SourceName = source;
        var r = new FieldReader(root, source);
        ModelType = r.String("model_type", "bert")!;
        Encoder = EncoderArchitecture.FromModelType(ModelType) ?? throw new ConfigException(
            $"{source}: model_type \"{ErrorText.Shorten(ModelType)}\" is not supported (expected one of {EncoderArchitecture.SupportedModelTypes})");
        ConfigFieldNames f = Encoder.Fields;
        bool electra = Encoder == EncoderArchitecture.Electra;

        // transformers passes every field of config.json to the module constructors as it is: a null size or a float
        // one (32.0) makes torch fail, so those are rejected; nulls that transformers would silently run differently
        // (no position embeddings, no tied decoder) are rejected too rather than run with our defaults.
        // Defaults are those of the family's transformers config class (RobertaConfig, ElectraConfig, …).
        VocabSize = r.Size("vocab_size", ModelType switch { "roberta" => 50265, "mpnet" => 30527, _ => 30522 });
        HiddenSize = r.Size(f.HiddenSize, electra ? 256 : 768);
        NumHiddenLayers = r.Size(f.NumHiddenLayers, Encoder == EncoderArchitecture.DistilBert ? 6 : 12);
        NumAttentionHeads = r.Size(f.NumAttentionHeads, electra ? 4 : 12);
        IntermediateSize = r.Size(f.IntermediateSize, electra ? 1024 : 3072);
        MaxPositionEmbeddings = r.Size("max_position_embeddings", 512);
        TypeVocabSize = Encoder.HasTokenTypes ? r.Size("type_vocab_size", 2) : 0;
        EmbeddingSize = Encoder.HasEmbeddingSize ? r.Size("embedding_size", 128) : HiddenSize;
        RelativeAttentionNumBuckets = Encoder.HasRelativeAttentionBias ? r.Size("relative_attention_num_buckets", 32) : 0;
        // pad_token_id only sets the embedding's padding_idx (training); null is None there, the same at inference.
        // RoBERTa-style positions are counted from it, so there it must be given (or left out for the default).
        if (Encoder.Positions == PositionScheme.AfterPadding && Encoder.FixedPaddingIdx is null)
            r.RejectNull("pad_token_id", $"{Encoder.ModelClass} counts position ids from the padding index");
        PadTokenId = r.Int("pad_token_id", Encoder.DefaultPadTokenId);
        double eps;
        if (Encoder.FixedLayerNormEps is float fixedEps) eps = fixedEps;   // DistilBERT: nn.LayerNorm(eps=1e-12), not configurable
        else
        {
            r.RejectNull("layer_norm_eps", "torch's LayerNorm cannot run with eps None");
            eps = r.Double("layer_norm_eps", 1e-12);
        }

        RequirePositive("vocab_size", VocabSize);
        RequirePositive(f.HiddenSize, HiddenSize);
        RequirePositive(f.NumHiddenLayers, NumHiddenLayers);
        RequirePositive(f.NumAttentionHeads, NumAttentionHeads);
        RequirePositive(f.IntermediateSize, IntermediateSize);
        RequirePositive("max_position_embeddings", MaxPositionEmbeddings);
        if (Encoder.HasTokenTypes) RequirePositive("type_vocab_size", TypeVocabSize);
        if (Encoder.HasEmbeddingSize) RequirePositive("embedding_size", EmbeddingSize);
        if (NumHiddenLayers > MaxHiddenLayers)
            throw new ConfigException($"{source}: {f.NumHiddenLayers} {NumHiddenLayers} is beyond the sanity limit of {MaxHiddenLayers} layers");
        if (HiddenSize % NumAttentionHeads != 0)
            throw new ConfigException($"{source}: {f.HiddenSize} {HiddenSize} is not a multiple of {f.NumAttentionHeads} {NumAttentionHeads}");
        if (PadTokenId < 0 || PadTokenId >= VocabSize)
            throw new ConfigException($"{source}: pad_token_id {PadTokenId} is outside the vocabulary [0, {VocabSize})");
        if (!(eps > 0) || !double.IsFinite(eps) || !float.IsNormal((float)eps))
            throw new ConfigException($"{source}: layer_norm_eps {eps.ToString(CultureInfo.InvariantCulture)} must be a positive float32 number");
        LayerNormEps = (float)eps;
        if (Encoder.HasRelativeAttentionBias && RelativeAttentionNumBuckets < EncoderArchitecture.RelativeBucketCount)
            throw new ConfigException($"{source}: relative_attention_num_buckets {RelativeAttentionNumBuckets} is below the {EncoderArchitecture.RelativeBucketCount} buckets {Encoder.ModelClass}'s encoder always uses");
        PositionPaddingIdx = Encoder.Positions == PositionScheme.AfterPadding ? Encoder.FixedPaddingIdx ?? PadTokenId : -1;
        MaxTokens = MaxPositionEmbeddings - (PositionPaddingIdx + 1);
        if (MaxTokens <= 0)
            throw new ConfigException($"{source}: max_position_embeddings {MaxPositionEmbeddings} leaves no position for a token: {Encoder.ModelClass} numbers tokens from padding_idx + 1 = {PositionPaddingIdx + 1}");
        // Every weight matrix is one float array: sizes whose product cannot be one are refused before any allocation.
        RequireArraySize("vocab_size", VocabSize, "hidden_size", EmbeddingSize, 1);
        RequireArraySize("max_position_embeddings", MaxPositionEmbeddings, "hidden_size", EmbeddingSize, 1);
        RequireArraySize("type_vocab_size", TypeVocabSize, "hidden_size", EmbeddingSize, 1);
        RequireArraySize(f.IntermediateSize, IntermediateSize, f.HiddenSize, HiddenSize, 1);
        RequireArraySize(f.HiddenSize, HiddenSize, f.HiddenSize, HiddenSize, 3);

        r.RejectNull(f.HiddenAct, "transformers would call None as the activation and fail");
        string act = r.String(f.HiddenAct, "gelu")!;
        if (!HiddenActivations.TryParse(act, out HiddenActivation hiddenAct))
            throw new ConfigException($"{source}: {f.HiddenAct} \"{ErrorText.Shorten(act)}\" is not supported (expected gelu, gelu_new, gelu_pytorch_tanh or relu)");
        HiddenAct = hiddenAct;

        // DistilBERT and MPNet do not read the field (their positions are fixed by the class).
        bool readsPositionType = Encoder != EncoderArchitecture.DistilBert && Encoder != EncoderArchitecture.MPNet;
        if (readsPositionType) r.RejectNull("position_embedding_type", "transformers then adds no position embeddings at all (it adds them only for \"absolute\"); refusing to run it");
        PositionEmbeddingType = readsPositionType ? r.String("position_embedding_type", "absolute")! : "absolute";
        if (PositionEmbeddingType != "absolute")
            throw new ConfigException($"{source}: position_embedding_type \"{ErrorText.Shorten(PositionEmbeddingType)}\" is not supported (only \"absolute\"); refusing to run it with absolute positions");

        if (r.Bool("is_decoder", false))
            throw new ConfigException($"{source}: is_decoder true is not supported (encoder-only BERT)");

        Architectures = r.StringArray("architectures");
        r.RejectNull("tie_word_embeddings", "transformers then leaves the masked-LM decoder untied from the word embeddings");
        TieWordEmbeddings = r.Bool("tie_word_embeddings", true);
        ProblemType = r.String("problem_type", null);
        if (ProblemType is not (null or "regression" or "single_label_classification" or "multi_label_classification"))
            throw new ConfigException($"{source}: problem_type \"{ErrorText.Shorten(ProblemType)}\" is not one of regression, single_label_classification, multi_label_classification");

        Id2Label = r.Id2Label();
        Label2Id = r.Label2Id();
        if (Id2Label.Count == 0)
            r.RejectNull("num_labels", "without id2label transformers would build range(None) labels and fail");
        int? numLabels = r.OptionalInt("num_labels");
        if (numLabels is int n)
        {
            if (n <= 0) throw new ConfigException($"{source}: num_labels {n} must be positive");
            if (Id2Label.Count > 0 && Id2Label.Count != n)
                throw new ConfigException($"{source}: num_labels {n} disagrees with id2label ({Id2Label.Count} labels)");
        }
        NumLabels = numLabels ?? (Id2Label.Count > 0 ? Id2Label.Count : null);
        if (Id2Label.Count > 0)
        {
            for (int i = 0; i < Id2Label.Count; i++)
                if (!Id2Label.ContainsKey(i))
                    throw new ConfigException($"{source}: id2label must have keys 0..{Id2Label.Count - 1}; {i} is missing");
        }
    }

    private void RequirePositive(string field, int value)
    {
        if (value <= 0) throw new ConfigException($"{SourceName}: {field} must be a positive integer, found {value}");
    }

    /// <summary>factor × a × b elements must fit one .NET array.</summary>
    private void RequireArraySize(string fieldA, int a, string fieldB, int b, int factor)
    {
        long n = (long)factor * a * b;
        if (n <= Array.MaxLength) return;
        string what = factor == 1 ? $"{fieldA} {a} × {fieldB} {b}" : $"{factor} × {fieldA} {a} × {fieldB} {b}";
        throw new ConfigException($"{SourceName}: {what} = {n} weights, more than one array can hold ({Array.MaxLength}); sizes this large cannot be loaded");
    }

    /// <summary>Reads and validates a config.json file.</summary>
    public static BertConfig Load(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new ConfigException($"{full}: config file not found");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(full); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{full}: cannot read: {e.Message}", e);
        }
        return Parse(bytes, full);
    }

    /// <summary>Parses config JSON text; <paramref name="sourceName"/> is used in error messages.</summary>
    public static BertConfig Parse(string json, string sourceName) =>
        Parse(System.Text.Encoding.UTF8.GetBytes(json), sourceName);

    public static BertConfig Parse(ReadOnlyMemory<byte> utf8Json, string sourceName)
    {
        // JsonDocument leaves string contents unchecked until read (then throws InvalidOperationException).
        if (!System.Text.Unicode.Utf8.IsValid(utf8Json.Span))
            throw new ConfigException($"{sourceName}: not valid UTF-8 (so not valid JSON)");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{sourceName}: not valid JSON ({e.Message})", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ConfigException($"{sourceName}: must be a JSON object, found {doc.RootElement.ValueKind}");
            return new BertConfig(doc.RootElement, sourceName);
        }
    }

    public override string ToString() =>
        $"hidden {HiddenSize}, layers {NumHiddenLayers}, heads {NumAttentionHeads}, intermediate {IntermediateSize}, " +
        $"vocab {VocabSize}, max_position {MaxPositionEmbeddings}, type_vocab {TypeVocabSize}, act {HiddenActivations.Name(HiddenAct)}, " +
        $"eps {LayerNormEps.ToString("R", CultureInfo.InvariantCulture)}";

    /// <summary>Typed access to config fields; errors name the source and field and describe the value on one line.</summary>
    private readonly struct FieldReader(JsonElement root, string source)
    {
        /// <summary>True when present and not null (null means "use the default" where transformers does the same).</summary>
        private bool TryGet(string field, out JsonElement value)
        {
            if (root.TryGetProperty(field, out value) && value.ValueKind != JsonValueKind.Null) return true;
            return false;
        }

        private bool IsNull(string field) => root.TryGetProperty(field, out JsonElement v) && v.ValueKind == JsonValueKind.Null;

        /// <summary>A field that transformers cannot take as None (or would run differently with): null is an error.</summary>
        public void RejectNull(string field, string why)
        {
            if (IsNull(field))
                throw new ConfigException($"{source}: field \"{field}\" is null: {why}; give a value or leave the field out");
        }

        /// <summary>A size torch builds a module from: null and floats (even 32.0) make torch fail, so both are errors.</summary>
        public int Size(string field, int defaultValue)
        {
            RejectNull(field, "transformers cannot build the model with a None size");
            return Int(field, defaultValue);
        }

        public int Int(string field, int defaultValue) => OptionalInt(field) ?? defaultValue;

        public int? OptionalInt(string field)
        {
            if (!TryGet(field, out JsonElement v)) return null;
            if (v.ValueKind == JsonValueKind.Number)
            {
                if (v.TryGetInt32(out int i)) return i;
                if (v.TryGetInt64(out _) || IsIntegerLiteral(v))
                    throw new ConfigException($"{source}: field \"{field}\" = {ErrorText.Describe(v)} is out of range (at most {int.MaxValue})");
                throw new ConfigException($"{source}: field \"{field}\" must be an integer, found {ErrorText.Describe(v)} (transformers would hand torch a float and fail)");
            }
            throw new ConfigException($"{source}: field \"{field}\" must be an integer, found {ErrorText.Describe(v)}");
        }

        /// <summary>Digits only, with an optional minus sign: an integer too large for int64.</summary>
        private static bool IsIntegerLiteral(JsonElement v)
        {
            string raw = v.GetRawText();
            for (int i = raw.StartsWith('-') ? 1 : 0; i < raw.Length; i++)
                if (raw[i] is < '0' or > '9') return false;
            return true;
        }

        public double Double(string field, double defaultValue)
        {
            if (!TryGet(field, out JsonElement v)) return defaultValue;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d)) return d;
            throw new ConfigException($"{source}: field \"{field}\" must be a number, found {ErrorText.Describe(v)}");
        }

        public bool Bool(string field, bool defaultValue)
        {
            if (!TryGet(field, out JsonElement v)) return defaultValue;
            return v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new ConfigException($"{source}: field \"{field}\" must be true or false, found {ErrorText.Describe(v)}"),
            };
        }

        public string? String(string field, string? defaultValue)
        {
            if (!TryGet(field, out JsonElement v)) return defaultValue;
            if (v.ValueKind == JsonValueKind.String) return v.GetString();
            throw new ConfigException($"{source}: field \"{field}\" must be a string, found {ErrorText.Describe(v)}");
        }

        public IReadOnlyList<string> StringArray(string field)
        {
            if (!TryGet(field, out JsonElement v)) return Array.Empty<string>();
            if (v.ValueKind != JsonValueKind.Array)
                throw new ConfigException($"{source}: field \"{field}\" must be an array of strings, found {ErrorText.Describe(v)}");
            var list = new List<string>();
            foreach (JsonElement e in v.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.String)
                    throw new ConfigException($"{source}: field \"{field}\" must be an array of strings, found element {ErrorText.Describe(e)}");
                list.Add(e.GetString()!);
            }
            return list.AsReadOnly();
        }

        public IReadOnlyDictionary<int, string> Id2Label()
        {
            var map = new SortedDictionary<int, string>();
            if (!TryGet("id2label", out JsonElement v)) return map;
            if (v.ValueKind != JsonValueKind.Object)
                throw new ConfigException($"{source}: field \"id2label\" must be an object, found {ErrorText.Describe(v)}");
            foreach (JsonProperty p in v.EnumerateObject())
            {
                if (!int.TryParse(p.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
                    throw new ConfigException($"{source}: id2label key \"{ErrorText.Shorten(p.Name)}\" is not a non-negative integer");
                if (p.Value.ValueKind != JsonValueKind.String)
                    throw new ConfigException($"{source}: id2label[\"{ErrorText.Shorten(p.Name)}\"] must be a string, found {ErrorText.Describe(p.Value)}");
                if (!map.TryAdd(id, p.Value.GetString()!))
                    throw new ConfigException($"{source}: id2label lists id {id} twice");
            }
            return map;
        }

        public IReadOnlyDictionary<string, int> Label2Id()
        {
            var map = new Dictionary<string, int>(StringComparer.Ordinal);
            if (!TryGet("label2id", out JsonElement v)) return map;
            if (v.ValueKind != JsonValueKind.Object)
                throw new ConfigException($"{source}: field \"label2id\" must be an object, found {ErrorText.Describe(v)}");
            foreach (JsonProperty p in v.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int id))
                    throw new ConfigException($"{source}: label2id[\"{ErrorText.Shorten(p.Name)}\"] must be an integer, found {ErrorText.Describe(p.Value)}");
                map[p.Name] = id;
            }
            return map;
        }
    }
}
