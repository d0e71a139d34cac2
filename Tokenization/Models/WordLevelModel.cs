using System.Text.Json;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Models;

/// <summary>
/// Hugging Face's WordLevel model (models/wordlevel): a piece is one token, its vocabulary id or else the unk token's,
/// spanning the whole piece. As in Rust, an unk token missing from the vocabulary is only an error when a word
/// needs it (a <see cref="TokenizerException"/> naming the file and the word).
/// </summary>
internal sealed class WordLevelModel : ITokenModel
{
    private readonly VocabTable _vocab;
    private readonly Dictionary<string, int> _map;
    private readonly string?[] _idToToken;
    private readonly string _source;

    public string UnkToken { get; }
    public int UnkId { get; }
    public int VocabSize => _idToToken.Length;

    /// <param name="vocab">token -> id (ids not negative)</param>
    /// <param name="source">file and JSON path for errors</param>
    public WordLevelModel(Dictionary<string, int> vocab, string unkToken, string source)
    {
        _map = vocab;
        _vocab = new VocabTable(vocab);
        _source = source;
        int size = 0;
        foreach (var (_, id) in vocab) size = Math.Max(size, id + 1);
        _idToToken = new string?[size];
        foreach (var (token, id) in vocab) _idToToken[id] ??= token;
        UnkToken = unkToken;
        UnkId = vocab.TryGetValue(unkToken, out int unk) ? unk : -1;
    }

    public void Tokenize(ReadOnlySpan<char> piece, ModelTokens output)
    {
        if (!_vocab.TryGetValue(piece, out int id))
        {
            if (UnkId < 0)
                throw new TokenizerException($"{_source}: the word \"{piece}\" is not in the vocabulary and unk_token '{UnkToken}' is not either");
            id = UnkId;
        }
        output.Add(id, 0, piece.Length);
    }

    public int? TokenToId(string token) => _map.TryGetValue(token, out int id) ? id : null;

    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    /// <summary>Reads {"type": "WordLevel", "vocab", "unk_token"} (both required, as Rust's WordLevelVisitor).</summary>
    public static WordLevelModel FromJson(JsonFields f, JsonElement m, string path)
    {
        f.RejectUnknown(m, path, "type", "vocab", "unk_token");
        string unk = f.String(m, path, "unk_token") ?? throw f.Error(JsonFields.Join(path, "unk_token"), "is missing");
        string vocabPath = JsonFields.Join(path, "vocab");
        if (!f.TryGet(m, "vocab", out var vocab)) throw f.Error(vocabPath, "is missing");
        f.Object(vocab, vocabPath);
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocab.EnumerateObject())
        {
            int id = f.Int(entry.Value, $"{vocabPath}[\"{entry.Name}\"]");
            if (id < 0) throw f.Error($"{vocabPath}[\"{entry.Name}\"]", $"id must not be negative, got {id}");
            map[entry.Name] = id;
        }
        return new WordLevelModel(map, unk, $"{f.File}: {path}");
    }
}
