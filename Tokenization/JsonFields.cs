using System.Text.Json;

namespace BertSharp.Tokenization;

/// <summary>
/// Strict reading of JSON settings with JsonDocument: every error names the file and the field path
/// (e.g. "tokenizer.json: normalizer.lowercase must be true or false, got \"yes\"").
/// </summary>
internal readonly struct JsonFields(string file)
{
    public string File { get; } = file;

    public TokenizerException Error(string path, string problem) => new($"{File}: {path} {problem}");

    /// <summary>Fails on any property of <paramref name="obj"/> not in <paramref name="known"/>.</summary>
    public void RejectUnknown(JsonElement obj, string path, params string[] known)
    {
        foreach (var p in obj.EnumerateObject())
            if (Array.IndexOf(known, p.Name) < 0)
                throw Error(Join(path, p.Name), $"is not a supported setting (supported here: {string.Join(", ", known)})");
    }

    public static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    public JsonElement Object(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Error(path, $"must be an object, got {Describe(value)}");
        return value;
    }

    public bool TryGet(JsonElement obj, string name, out JsonElement value) =>
        obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    public string? String(JsonElement obj, string path, string name)
    {
        if (!TryGet(obj, name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.String) throw Error(Join(path, name), $"must be a string, got {Describe(v)}");
        return v.GetString();
    }

    public bool? Bool(JsonElement obj, string path, string name)
    {
        if (!TryGet(obj, name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(Join(path, name), $"must be true or false, got {Describe(v)}"),
        };
    }

    public int? Int(JsonElement obj, string path, string name)
    {
        if (!TryGet(obj, name, out var v)) return null;
        return Int(v, Join(path, name));
    }

    public int Int(JsonElement v, string path)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n))
            throw Error(path, $"must be a 32-bit integer, got {Describe(v)}");
        return n;
    }

    /// <summary>
    /// A vocabulary object {"token": id, ...} (ids not negative; a repeated key: the later id wins). The field path
    /// of an entry (e.g. model.vocab["foo"]) is only built for an error.
    /// </summary>
    public VocabTable VocabObject(JsonElement vocab, string path)
    {
        var builder = new VocabTable.Builder(vocab.GetPropertyCount());
        foreach (var entry in vocab.EnumerateObject())
        {
            string token;
            try { token = entry.Name; }
            catch (InvalidOperationException e) { throw KeyError(path, e); }
            var v = entry.Value;
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int id) || id < 0)
            {
                string entryPath = $"{path}[\"{token}\"]";
                id = Int(v, entryPath);
                throw Error(entryPath, $"id must not be negative, got {id}");
            }
            builder.Set(token, id);
        }
        return builder.ToTable();
    }

    public static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => $"\"{Truncate(v.GetString() ?? "")}\"",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => Truncate(v.GetRawText()),
    };

    internal static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "...";

    /// <summary>A key of the object at <paramref name="path"/> that does not decode (a lone surrogate escape such as "\ud800").</summary>
    public TokenizerException KeyError(string path, InvalidOperationException e) => Error(path, $"has a key that is not valid text ({e.Message})");

    /// <summary>The reader's property name, or null with <paramref name="error"/> set (when not set yet) when it does not decode.</summary>
    public string? KeyText(ref Utf8JsonReader reader, string path, ref TokenizerException? error)
    {
        try { return reader.GetString(); }
        catch (InvalidOperationException e)
        {
            error ??= KeyError(path, e);
            return null;
        }
    }

    /// <summary>Parses a file, turning I/O and syntax errors into TokenizerException naming the file.</summary>
    public static JsonDocument Parse(string path) => Parse(path, ReadBytes(path));

    /// <summary>
    /// A file's bytes, which must be UTF-8 (as JSON is): an I/O error or an invalid byte sequence is a
    /// TokenizerException naming the file (and the byte), not a transcoding exception from the first string read.
    /// </summary>
    public static byte[] ReadBytes(string path)
    {
        byte[] bytes;
        try { bytes = System.IO.File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerException($"{path}: cannot read: {e.Message}", e);
        }
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            int offset = 0;
            Span<char> chars = stackalloc char[1024];
            while (System.Text.Unicode.Utf8.ToUtf16(bytes.AsSpan(offset), chars, out int read, out _, replaceInvalidSequences: false)
                   == System.Buffers.OperationStatus.DestinationTooSmall)
                offset += read;
            System.Text.Unicode.Utf8.ToUtf16(bytes.AsSpan(offset), chars, out int valid, out _, replaceInvalidSequences: false);
            throw new TokenizerException($"{path}: not valid UTF-8 (invalid byte sequence at byte {offset + valid})");
        }
        return bytes;
    }

    /// <summary>Parses <paramref name="bytes"/> (kept by the document) read from <paramref name="path"/>; a syntax error names the file.</summary>
    public static JsonDocument Parse(string path, byte[] bytes)
    {
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowTrailingCommas = false, MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new TokenizerException($"{path}: invalid JSON: {e.Message}", e);
        }
    }
}
