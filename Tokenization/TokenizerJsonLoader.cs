using System.Text.Json;
using BertSharp.Tokenization.PostProcessors;

namespace BertSharp.Tokenization;

/// <summary>
/// Reads a Hugging Face tokenizer.json for a BERT tokenizer. Every field is checked: a field this tokenizer does not
/// know, or a value it cannot honour (another normalizer, lstrip on an added token, stride, left padding...),
/// is an error naming the field, never silently ignored.
/// </summary>
internal static class TokenizerJsonLoader
{
    public static TokenizerSettings Load(string path)
    {
        if (!File.Exists(path)) throw new TokenizerException($"{path}: file not found");
        using var doc = JsonFields.Parse(path);
        return Load(path, doc.RootElement);
    }

    /// <summary>Reads an already parsed tokenizer.json (<paramref name="path"/> is named in errors).</summary>
    /// <param name="vocabularyApart">when given, model.vocab was read apart (<see cref="TokenizerJsonDocument"/>) and
    /// <paramref name="rootElement"/> has an empty object in its place</param>
    public static TokenizerSettings Load(string path, JsonElement rootElement, TokenizerJsonDocument? vocabularyApart = null)
    {
        var f = new JsonFields(path);
        var root = f.Object(rootElement, "(root)");
        f.RejectUnknown(root, "", "version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer", "post_processor", "decoder", "model");
        var s = new TokenizerSettings { Source = path };

        string? version = f.String(root, "", "version");
        if (version is not null && version != "1.0") throw f.Error("version", $"'{version}' is not supported (expected \"1.0\")");

        if (!f.TryGet(root, "model", out var model)) throw f.Error("model", "is missing");
        ReadModel(f, f.Object(model, "model"), s, vocabularyApart);
        ReadNormalizer(f, root, s);
        ReadPreTokenizer(f, root);
        ReadAddedTokens(f, root, s);
        ReadPostProcessor(f, root, s);
        ReadDecoder(f, root, s);
        ReadTruncationAndPadding(f, root, s);
        return s;
    }

    /// <summary>
    /// True when the file is a BERT WordPiece tokenizer this loader (and the fused fast path) handles: model WordPiece,
    /// BertPreTokenizer, BertNormalizer or none, no lstrip/rstrip/single_word added tokens, right-side truncation and
    /// padding. Anything else is composed by <see cref="Pipeline.PipelineJsonLoader"/>. Malformed files count as BERT
    /// so that this loader reports them as before.
    /// </summary>
    public static bool IsBertShaped(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return true;
        static string? TypeOf(JsonElement root, string section) =>
            root.TryGetProperty(section, out var v) && v.ValueKind == JsonValueKind.Object && v.TryGetProperty("type", out var t)
                && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        static bool IsNull(JsonElement root, string section) =>
            !root.TryGetProperty(section, out var v) || v.ValueKind == JsonValueKind.Null;
        if (TypeOf(root, "model") is { } model && model != "WordPiece") return false;
        if (!IsNull(root, "normalizer") && TypeOf(root, "normalizer") is { } n && n != "BertNormalizer") return false;
        if (IsNull(root, "pre_tokenizer") || TypeOf(root, "pre_tokenizer") is { } p && p != "BertPreTokenizer") return false;
        if (TypeOf(root, "post_processor") is { } pp && pp is not ("TemplateProcessing" or "BertProcessing")) return false;
        if (TypeOf(root, "decoder") is { } d && d != "WordPiece") return false;
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            foreach (var t in added.EnumerateArray())
                if (t.ValueKind == JsonValueKind.Object)
                    foreach (var flag in new[] { "lstrip", "rstrip", "single_word" })
                        if (t.TryGetProperty(flag, out var v) && v.ValueKind == JsonValueKind.True) return false;
        foreach (var section in new[] { "truncation", "padding" })
            if (root.TryGetProperty(section, out var sv) && sv.ValueKind == JsonValueKind.Object
                && sv.TryGetProperty("direction", out var dir) && dir.ValueKind == JsonValueKind.String && dir.GetString() == "Left") return false;
        return true;
    }

    private static void ReadModel(JsonFields f, JsonElement model, TokenizerSettings s, TokenizerJsonDocument? vocabularyApart)
    {
        f.RejectUnknown(model, "model", "type", "unk_token", "continuing_subword_prefix", "max_input_chars_per_word", "vocab");
        string? type = f.String(model, "model", "type");
        if (type is not null && type != "WordPiece") throw f.Error("model.type", $"'{type}' is not supported (only WordPiece)");
        s.UnkToken = f.String(model, "model", "unk_token") ?? "[UNK]";
        s.ContinuingSubwordPrefix = f.String(model, "model", "continuing_subword_prefix") ?? "##";
        s.MaxInputCharsPerWord = f.Int(model, "model", "max_input_chars_per_word") ?? 100;
        if (s.MaxInputCharsPerWord < 0) throw f.Error("model.max_input_chars_per_word", "must not be negative");
        if (!f.TryGet(model, "vocab", out var vocab)) throw f.Error("model.vocab", "is missing");
        f.Object(vocab, "model.vocab");
        s.Vocab = vocabularyApart is not null ? vocabularyApart.Vocabulary : f.VocabObject(vocab, "model.vocab");
    }

    private static void ReadNormalizer(JsonFields f, JsonElement root, TokenizerSettings s)
    {
        if (!f.TryGet(root, "normalizer", out var n)) { s.HasNormalizer = false; return; }
        f.Object(n, "normalizer");
        string? type = f.String(n, "normalizer", "type");
        if (type != "BertNormalizer") throw f.Error("normalizer.type", $"'{type}' is not supported (only BertNormalizer)");
        f.RejectUnknown(n, "normalizer", "type", "clean_text", "handle_chinese_chars", "strip_accents", "lowercase");
        s.CleanText = f.Bool(n, "normalizer", "clean_text") ?? true;
        s.HandleChineseChars = f.Bool(n, "normalizer", "handle_chinese_chars") ?? true;
        s.StripAccents = f.Bool(n, "normalizer", "strip_accents");
        s.Lowercase = f.Bool(n, "normalizer", "lowercase") ?? true;
    }

    private static void ReadPreTokenizer(JsonFields f, JsonElement root)
    {
        if (!f.TryGet(root, "pre_tokenizer", out var p)) throw f.Error("pre_tokenizer", "null is not supported (only BertPreTokenizer)");
        f.Object(p, "pre_tokenizer");
        string? type = f.String(p, "pre_tokenizer", "type");
        if (type != "BertPreTokenizer") throw f.Error("pre_tokenizer.type", $"'{type}' is not supported (only BertPreTokenizer)");
        f.RejectUnknown(p, "pre_tokenizer", "type");
    }

    private static void ReadAddedTokens(JsonFields f, JsonElement root, TokenizerSettings s)
    {
        if (!f.TryGet(root, "added_tokens", out var list)) return;
        if (list.ValueKind != JsonValueKind.Array) throw f.Error("added_tokens", $"must be an array, got {JsonFields.Describe(list)}");
        int i = 0;
        foreach (var t in list.EnumerateArray())
        {
            string path = $"added_tokens[{i++}]";
            f.Object(t, path);
            f.RejectUnknown(t, path, "id", "content", "single_word", "lstrip", "rstrip", "normalized", "special");
            int id = f.Int(t, path, "id") ?? throw f.Error(JsonFields.Join(path, "id"), "is missing");
            if (id < 0) throw f.Error(JsonFields.Join(path, "id"), $"must not be negative, got {id}");
            string content = f.String(t, path, "content") ?? throw f.Error(JsonFields.Join(path, "content"), "is missing");
            foreach (var flag in new[] { "single_word", "lstrip", "rstrip" })
                if (f.Bool(t, path, flag) == true) throw f.Error(JsonFields.Join(path, flag), "= true is not supported");
            bool special = f.Bool(t, path, "special") ?? false;
            bool normalized = f.Bool(t, path, "normalized") ?? !special;
            s.AddedTokens.Add(new AddedToken(content, id, special, normalized));
        }
    }

    private static void ReadPostProcessor(JsonFields f, JsonElement root, TokenizerSettings s)
    {
        if (!f.TryGet(root, "post_processor", out var p)) { s.Template = TemplateProcessor.None; return; }
        f.Object(p, "post_processor");
        string? type = f.String(p, "post_processor", "type");
        switch (type)
        {
            case "TemplateProcessing":
                s.Template = PostProcessorJson.ReadTemplateProcessing(f, p, "post_processor");
                break;
            case "BertProcessing":
                s.Template = PostProcessorJson.ReadBertProcessing(f, p, "post_processor", out s.ClsToken, out s.SepToken);
                break;
            default:
                throw f.Error("post_processor.type", $"'{type}' is not supported (TemplateProcessing or BertProcessing)");
        }
    }

    private static void ReadDecoder(JsonFields f, JsonElement root, TokenizerSettings s)
    {
        if (!f.TryGet(root, "decoder", out var d)) { s.Decoder = null; return; }
        f.Object(d, "decoder");
        string? type = f.String(d, "decoder", "type");
        if (type != "WordPiece") throw f.Error("decoder.type", $"'{type}' is not supported (only WordPiece)");
        f.RejectUnknown(d, "decoder", "type", "prefix", "cleanup");
        s.Decoder = new WordPieceDecoder(f.String(d, "decoder", "prefix") ?? "##", f.Bool(d, "decoder", "cleanup") ?? true);
    }

    private static void ReadTruncationAndPadding(JsonFields f, JsonElement root, TokenizerSettings s)
    {
        var (options, padId, padTypeId, padToken) = Pipeline.PipelineJsonLoader.ReadTruncationAndPadding(f, root);
        s.ConfiguredOptions = options;
        s.ConfiguredPadId = padId;
        s.ConfiguredPadTypeId = padTypeId;
        s.ConfiguredPadToken = padToken;
        if (padToken is not null) s.PadToken = padToken;
    }
}
