using System.Text.Json;

namespace BertSharp.Tokenization;

/// <summary>
/// The transformers "slow tokenizer" layout: vocab.txt (one token per line, id = line number, the last of duplicate
/// lines wins, an empty line is the token "") + tokenizer_config.json (+ special_tokens_map.json, added_tokens.json),
/// converted the way transformers' BertConverter builds the fast tokenizer.
/// never_split entries become added tokens matched in the original text (they must be in the vocabulary).
/// </summary>
internal static class PretrainedConfigLoader
{
    private static readonly string[] SupportedClasses =
        ["BertTokenizer", "BertTokenizerFast", "DistilBertTokenizer", "DistilBertTokenizerFast", "ElectraTokenizer", "ElectraTokenizerFast"];

    public static TokenizerSettings Load(string directory)
    {
        if (!Directory.Exists(directory)) throw new TokenizerException($"tokenizer folder not found: {directory}");
        string vocabPath = Path.Combine(directory, "vocab.txt");
        if (!File.Exists(vocabPath))
            throw new TokenizerException($"{directory}: neither tokenizer.json nor vocab.txt found");
        var s = new TokenizerSettings { Source = vocabPath, Vocab = ReadVocab(vocabPath) };

        var neverSplit = new List<string>();
        var additional = new List<string>();
        var decoderTokens = new List<AddedToken>();
        string configPath = Path.Combine(directory, "tokenizer_config.json");
        if (File.Exists(configPath))
        {
            using var doc = JsonFields.Parse(configPath);
            var f = new JsonFields(configPath);
            var c = f.Object(doc.RootElement, "(root)");
            ReadSpecialTokenNames(f, c, s, additional);
            s.ModelMaxLength = ReadModelMaxLength(f, c);
            s.Lowercase = f.Bool(c, "", "do_lower_case") ?? true;
            s.StripAccents = f.Bool(c, "", "strip_accents");
            s.HandleChineseChars = f.Bool(c, "", "tokenize_chinese_chars") ?? true;
            if (f.Bool(c, "", "do_basic_tokenize") == false)
                throw f.Error("do_basic_tokenize", "= false is not supported (WordPiece without the basic tokenizer)");
            string? cls = f.String(c, "", "tokenizer_class");
            if (cls is not null && Array.IndexOf(SupportedClasses, cls) < 0)
                throw f.Error("tokenizer_class", $"'{cls}' is not supported (supported: {string.Join(", ", SupportedClasses)})");
            foreach (var side in new[] { "padding_side", "truncation_side" })
            {
                string? value = f.String(c, "", side);
                if (value is not null && value != "right") throw f.Error(side, $"'{value}' is not supported (only \"right\")");
            }
            if (f.TryGet(c, "never_split", out var ns))
            {
                if (ns.ValueKind != JsonValueKind.Array) throw f.Error("never_split", "must be a list of strings or null");
                int i = 0;
                foreach (var item in ns.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String) throw f.Error($"never_split[{i}]", "must be a string");
                    string token = item.GetString()!;
                    if (!s.Vocab.TryGetValue(token, out _)) throw f.Error($"never_split[{i}]", $"'{token}' is not in vocab.txt");
                    neverSplit.Add(token);
                    i++;
                }
            }
            if (f.TryGet(c, "added_tokens_decoder", out var atd))
            {
                f.Object(atd, "added_tokens_decoder");
                foreach (var entry in atd.EnumerateObject())
                {
                    string path = $"added_tokens_decoder[\"{entry.Name}\"]";
                    if (!int.TryParse(entry.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id))
                        throw f.Error(path, "key must be a token id");
                    var t = f.Object(entry.Value, path);
                    string content = f.String(t, path, "content") ?? throw f.Error(path + ".content", "is missing");
                    foreach (var flag in new[] { "single_word", "lstrip", "rstrip" })
                        if (f.Bool(t, path, flag) == true) throw f.Error(JsonFields.Join(path, flag), "= true is not supported");
                    bool special = f.Bool(t, path, "special") ?? false;
                    decoderTokens.Add(new AddedToken(content, id, special, f.Bool(t, path, "normalized") ?? !special));
                }
            }
        }

        string mapPath = Path.Combine(directory, "special_tokens_map.json");
        if (File.Exists(mapPath))
        {
            using var doc = JsonFields.Parse(mapPath);
            var f = new JsonFields(mapPath);
            ReadSpecialTokenNames(f, f.Object(doc.RootElement, "(root)"), s, additional);
        }

        // Special tokens: added tokens matched in the original text, skipped when decoding.
        var added = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (var t in decoderTokens) added[t.Content] = t;
        foreach (var (field, token) in new[] { ("unk_token", s.UnkToken), ("sep_token", s.SepToken), ("pad_token", s.PadToken), ("cls_token", s.ClsToken), ("mask_token", s.MaskToken) })
        {
            if (added.ContainsKey(token)) continue;
            if (!s.Vocab.TryGetValue(token, out int id))
                throw new TokenizerException($"{vocabPath}: {field} '{token}' is not in the vocabulary");
            added[token] = new AddedToken(token, id, Special: true, Normalized: false);
        }
        foreach (string token in additional)
        {
            if (added.ContainsKey(token)) continue;
            if (!s.Vocab.TryGetValue(token, out int id))
                throw new TokenizerException($"{vocabPath}: additional_special_tokens '{token}' is not in the vocabulary");
            added[token] = new AddedToken(token, id, Special: true, Normalized: false);
        }
        foreach (string token in neverSplit)
            if (!added.ContainsKey(token) && s.Vocab.TryGetValue(token, out int id)) added[token] = new AddedToken(token, id, Special: false, Normalized: false);

        string addedPath = Path.Combine(directory, "added_tokens.json");
        if (File.Exists(addedPath))
        {
            using var doc = JsonFields.Parse(addedPath);
            var f = new JsonFields(addedPath);
            foreach (var entry in f.Object(doc.RootElement, "(root)").EnumerateObject())
            {
                int id = f.Int(entry.Value, $"[\"{entry.Name}\"]");
                if (!added.ContainsKey(entry.Name)) added[entry.Name] = new AddedToken(entry.Name, id, Special: false, Normalized: true);
            }
        }
        s.AddedTokens.AddRange(added.Values.OrderBy(t => t.Id));
        return s;
    }

    /// <summary>Beside a tokenizer.json: take only model_max_length and the special token names.</summary>
    public static void ApplyConfigBesideTokenizerJson(string directory, TokenizerSettings s)
    {
        var ignored = new List<string>();
        string modelUnk = s.UnkToken; // tokenizer.json's model.unk_token is what WordPiece emits
        string configPath = Path.Combine(directory, "tokenizer_config.json");
        if (File.Exists(configPath))
        {
            using var doc = JsonFields.Parse(configPath);
            var f = new JsonFields(configPath);
            var c = f.Object(doc.RootElement, "(root)");
            ReadSpecialTokenNames(f, c, s, ignored);
            s.ModelMaxLength = ReadModelMaxLength(f, c);
        }
        string mapPath = Path.Combine(directory, "special_tokens_map.json");
        if (File.Exists(mapPath))
        {
            using var doc = JsonFields.Parse(mapPath);
            var f = new JsonFields(mapPath);
            ReadSpecialTokenNames(f, f.Object(doc.RootElement, "(root)"), s, ignored);
        }
        s.UnkToken = modelUnk;
    }

    /// <summary>Reads vocab.txt: id = line number (0-based); "\r\n" and "\n" both end a line.</summary>
    internal static VocabTable ReadVocab(string path)
    {
        string text;
        try { text = File.ReadAllText(path, new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.DecoderFallbackException)
        {
            throw new TokenizerException($"{path}: cannot read vocabulary: {e.Message}", e);
        }
        var vocab = new VocabTable.Builder(text.AsSpan().Count('\n') + 1);
        int id = 0, pos = 0;
        while (pos < text.Length)
        {
            int nl = text.IndexOf('\n', pos);
            int end = nl < 0 ? text.Length : nl;
            int lineEnd = end > pos && text[end - 1] == '\r' ? end - 1 : end;
            vocab.Set(text[pos..lineEnd], id++); // a duplicate line: the last one wins, as in transformers and tokenizers
            pos = end + 1;
        }
        if (id == 0) throw new TokenizerException($"{path}: the vocabulary is empty");
        return vocab.ToTable();
    }

    private static int? ReadModelMaxLength(JsonFields f, JsonElement c)
    {
        if (!f.TryGet(c, "model_max_length", out var v)) return null;
        if (v.ValueKind != JsonValueKind.Number) throw f.Error("model_max_length", $"must be a number, got {JsonFields.Describe(v)}");
        // transformers writes int(1e30) for "no limit".
        if (!v.TryGetDouble(out double d) || d >= int.MaxValue || d != Math.Floor(d)) return null;
        if (d < 0) throw f.Error("model_max_length", $"must not be negative, got {d}");
        return (int)d;
    }

    private static void ReadSpecialTokenNames(JsonFields f, JsonElement c, TokenizerSettings s, List<string> additional)
    {
        s.UnkToken = TokenName(f, c, "unk_token") ?? s.UnkToken;
        s.SepToken = TokenName(f, c, "sep_token") ?? s.SepToken;
        s.PadToken = TokenName(f, c, "pad_token") ?? s.PadToken;
        s.ClsToken = TokenName(f, c, "cls_token") ?? s.ClsToken;
        s.MaskToken = TokenName(f, c, "mask_token") ?? s.MaskToken;
        if (f.TryGet(c, "additional_special_tokens", out var list))
        {
            if (list.ValueKind != JsonValueKind.Array) throw f.Error("additional_special_tokens", "must be a list");
            int i = 0;
            foreach (var item in list.EnumerateArray())
            {
                string? name = TokenValue(f, item, $"additional_special_tokens[{i++}]");
                if (name is not null && !additional.Contains(name)) additional.Add(name);
            }
        }
    }

    /// <summary>A special token is a string or an AddedToken object {"content": ...}.</summary>
    private static string? TokenName(JsonFields f, JsonElement c, string name)
    {
        if (!f.TryGet(c, name, out var v)) return null;
        return TokenValue(f, v, name);
    }

    private static string? TokenValue(JsonFields f, JsonElement v, string path)
    {
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        if (v.ValueKind == JsonValueKind.Object) return f.String(v, path, "content") ?? throw f.Error(path + ".content", "is missing");
        if (v.ValueKind == JsonValueKind.Null) return null;
        throw f.Error(path, $"must be a string or an AddedToken object, got {JsonFields.Describe(v)}");
    }
}
