using System.Text.Json;

namespace BertSharp.Tokenization;

/// <summary>
/// tokenizer.json parsed for loading, with a WordPiece model's vocabulary set apart: its entries are read by a
/// <see cref="Utf8JsonReader"/> straight into a <see cref="VocabTable"/>, and the <see cref="JsonDocument"/> sees an empty
/// object of the same length in its place. A JsonDocument indexes every token in 12-byte rows rented from
/// <c>ArrayPool&lt;byte&gt;.Shared</c>, which keeps them after the document is disposed: for all-MiniLM-L6-v2's 30,522
/// entries that is 1.5 MB of pooled arrays resident for the life of the process. The rest of the file is small.
/// </summary>
/// <remarks>
/// The vocabulary is set apart only when the file is plain: one root "model" whose "type" is "WordPiece" and comes
/// before one "vocab" object. Otherwise, and when the file is not valid JSON, the whole file is parsed as before (so
/// syntax errors read the same). An entry error (not an integer, negative) is kept and thrown by <see cref="Vocabulary"/>,
/// where the loader reads model.vocab, so errors come in the same order and words as from the whole document.
/// </remarks>
internal sealed class TokenizerJsonDocument : IDisposable
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowTrailingCommas = false, MaxDepth = 64 };

    private readonly string _path;
    private readonly VocabTable? _vocabulary;
    private readonly TokenizerException? _vocabularyError;
    private JsonDocument? _whole;

    /// <summary>The file, with model.vocab emptied when <see cref="HasVocabularyApart"/>.</summary>
    public JsonDocument Document { get; }
    public bool HasVocabularyApart => _vocabulary is not null || _vocabularyError is not null;

    private TokenizerJsonDocument(string path, JsonDocument document, VocabTable? vocabulary, TokenizerException? vocabularyError)
    {
        _path = path; Document = document; _vocabulary = vocabulary; _vocabularyError = vocabularyError;
    }

    public static TokenizerJsonDocument Parse(string path)
    {
        byte[] bytes = JsonFields.ReadBytes(path);
        var f = new JsonFields(path);
        if (TryReadVocabulary(f, bytes, out Range range, out VocabTable? vocabulary, out TokenizerException? error))
        {
            // Same length, so positions in the rest of the file are unchanged.
            Span<byte> value = bytes.AsSpan(range);
            value.Fill((byte)' ');
            value[0] = (byte)'{';
            value[^1] = (byte)'}';
            return new(path, JsonFields.Parse(path, bytes), vocabulary, error);
        }
        return new(path, JsonFields.Parse(path, bytes), null, null);
    }

    /// <summary>model.vocab read apart (throws the entry error found there, as the whole-document reader would).</summary>
    public VocabTable Vocabulary => _vocabularyError is not null ? throw _vocabularyError
        : _vocabulary ?? throw new InvalidOperationException("the vocabulary was not set apart");

    /// <summary>The root of the whole file (parsed again when the vocabulary was set apart: for the pipeline loader).</summary>
    public JsonElement WholeRoot()
    {
        if (!HasVocabularyApart) return Document.RootElement;
        _whole ??= JsonFields.Parse(_path);
        return _whole.RootElement;
    }

    public void Dispose()
    {
        Document.Dispose();
        _whole?.Dispose();
    }

    /// <summary>
    /// Finds root.model.vocab (the model's "type" "WordPiece" first) and reads its entries as
    /// <see cref="JsonFields.VocabObject"/> would; false when the file is not that plain or not valid JSON.
    /// </summary>
    private static bool TryReadVocabulary(JsonFields f, byte[] bytes, out Range range, out VocabTable? vocabulary, out TokenizerException? error)
    {
        range = default; vocabulary = null; error = null;
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowTrailingCommas = false, MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            int models = 0, vocabularies = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isModel = reader.ValueTextEquals("model"u8);
                reader.Read();
                if (!isModel) { reader.Skip(); continue; }
                models++;
                if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); continue; }
                bool wordPiece = false;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    bool isType = reader.ValueTextEquals("type"u8), isVocab = reader.ValueTextEquals("vocab"u8);
                    reader.Read();
                    if (isType) wordPiece = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("WordPiece"u8);
                    if (isVocab) vocabularies++;
                    if (isVocab && wordPiece && models == 1 && vocabularies == 1 && reader.TokenType == JsonTokenType.StartObject)
                    {
                        int start = (int)reader.TokenStartIndex;
                        (vocabulary, error) = ReadEntries(f, ref reader, "model.vocab");
                        range = start..(int)reader.BytesConsumed;
                    }
                    else reader.Skip();
                }
            }
            while (reader.Read()) { }   // the rest must be valid JSON too (else: parse the whole file for its error)
            return models == 1 && vocabularies == 1 && (vocabulary is not null || error is not null);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Entries of an object {"token": id, ...} from its StartObject to its EndObject; the first bad entry as an error.</summary>
    private static (VocabTable?, TokenizerException?) ReadEntries(JsonFields f, ref Utf8JsonReader reader, string path)
    {
        int depth = reader.CurrentDepth;
        Utf8JsonReader counter = reader;
        int count = 0;
        while (counter.Read() && counter.TokenType == JsonTokenType.PropertyName)
        {
            count++;
            counter.Read();
            counter.Skip();
        }
        var builder = new VocabTable.Builder(count);
        TokenizerException? error = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string? token = f.KeyText(ref reader, path, ref error);
            reader.Read();
            int id = -1;
            bool isInteger = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out id);
            if (error is null && token is not null)
            {
                if (isInteger && id >= 0) builder.Set(token, id);
                else
                {
                    string entryPath = $"{path}[\"{token}\"]";
                    error = isInteger ? f.Error(entryPath, $"id must not be negative, got {id}")
                        : f.Error(entryPath, $"must be a 32-bit integer, got {Describe(ref reader)}");
                }
            }
            reader.Skip();
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != depth) throw new JsonException("unbalanced vocabulary");
        return error is null ? (builder.ToTable(), null) : (null, error);
    }

    /// <summary>As <see cref="JsonFields.Describe"/> for the reader's current value.</summary>
    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => $"\"{JsonFields.Truncate(reader.GetString() ?? "")}\"",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => JsonFields.Truncate(System.Text.Encoding.UTF8.GetString(reader.ValueSpan)),
    };
}
