using System.Text.Json;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Models;

/// <summary>
/// Hugging Face's Unigram model (models/unigram/model.rs, <c>encode_optimized</c>): Viterbi over the pieces' f64
/// log-probabilities. A code point with no single-char piece is unknown, scored min_score − 10; consecutive unknowns
/// are fused into one token whose text is the covered text; ties keep the path whose last piece starts earliest
/// (strictly-greater update, starts scanned left to right). With byte_fallback an unknown run becomes one
/// <c>&lt;0xXX&gt;</c> token per UTF-8 byte (all spanning the run), when every byte has a piece.
/// </summary>
internal sealed class UnigramModel : ITokenModel
{
    private const double UnkPenalty = 10.0;
    private readonly string[] _pieces;
    private readonly double[] _scores;
    private readonly VocabTable _lookup;      // piece -> id (the last duplicate wins, as in the Rust token_to_ids)
    private readonly PieceTrie _trie;
    private readonly double _unkScore;
    private readonly int[] _byteIds;   // id of "<0xXX>" per byte, -1 when absent
    private readonly string _source;

    public int UnkId { get; }
    public bool ByteFallback { get; }
    public int VocabSize => _pieces.Length;

    public UnigramModel(IReadOnlyList<(string Piece, double Score)> vocab, int? unkId, bool byteFallback, string source)
    {
        _source = source;
        _scores = new double[vocab.Count];
        // Edges: at most one per UTF-16 char of the pieces; often far fewer (shared prefixes), so TrimExcess below.
        long chars = 0;
        for (int i = 0; i < vocab.Count; i++) chars += vocab[i].Piece.Length;
        _trie = new PieceTrie((int)Math.Min(chars, vocab.Count * 4L));
        var lookup = new VocabTable.Builder(vocab.Count);
        double min = double.PositiveInfinity;
        for (int i = 0; i < vocab.Count; i++)
        {
            var (piece, score) = vocab[i];
            _scores[i] = score;
            lookup.Set(piece, i);
            if (score < min) min = score;
        }
        _lookup = lookup.ToTable();
        for (int k = 0; k < _lookup.Count; k++) _trie.Add(_lookup.TokenAt(k), _lookup.IdAt(k));
        _trie.TrimExcess();
        // id -> piece: the lookup's own token array when no piece is repeated, else every piece (a hidden duplicate too).
        if (_lookup.TryGetTokensById(out string[] dense) && dense.Length == vocab.Count) _pieces = dense;
        else
        {
            _pieces = new string[vocab.Count];
            for (int i = 0; i < vocab.Count; i++) _pieces[i] = vocab[i].Piece;
        }
        _unkScore = min - UnkPenalty;
        UnkId = unkId ?? -1;
        ByteFallback = byteFallback;
        _byteIds = new int[256];
        for (int b = 0; b < 256; b++) _byteIds[b] = _lookup.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
    }

    public int? TokenToId(string token) => _lookup.TryGetValue(token, out int id) ? id : null;

    public string? IdToToken(int id) => (uint)id < (uint)_pieces.Length ? _pieces[id] : null;

    public void Tokenize(ReadOnlySpan<char> piece, ModelTokens output)
    {
        int n = piece.Length;
        if (n == 0) return;
        output.Ensure(n + 1);
        // Per end position (UTF-16 index): best score, start of its last piece (-1 = unreached) and that piece's id.
        double[] best = output.WorkScores;
        int[] startAt = output.WorkInts;
        int[] idAt = output.WorkInts2;
        best[0] = 0;
        startAt.AsSpan(0, n + 1).Fill(-1);
        int pos = 0;
        while (pos < n)
        {
            double here = best[pos];
            int charLength = char.IsHighSurrogate(piece[pos]) && pos + 1 < n && char.IsLowSurrogate(piece[pos + 1]) ? 2 : 1;
            bool hasSingle = false;
            int node = 0;
            for (int end = pos; end < n; end++)
            {
                node = _trie.Child(node, piece[end]);
                if (node < 0) break;
                int id = _trie.Value(node);
                if (id < 0) continue;
                int keyEnd = end + 1;
                double candidate = _scores[id] + here;
                if (startAt[keyEnd] < 0 || candidate > best[keyEnd])
                {
                    best[keyEnd] = candidate; startAt[keyEnd] = pos; idAt[keyEnd] = id;
                }
                if (keyEnd - pos == charLength) hasSingle = true;
            }
            if (!hasSingle)
            {
                int keyEnd = pos + charLength;
                double candidate = _unkScore + here;
                if (startAt[keyEnd] < 0 || candidate > best[keyEnd])
                {
                    if (UnkId < 0) throw new TokenizerException($"{_source}: model.unk_id is null but '{piece.Slice(pos, charLength).ToString()}' has no piece");
                    best[keyEnd] = candidate; startAt[keyEnd] = pos; idAt[keyEnd] = UnkId;
                }
            }
            pos += charLength;
        }

        // Backtrack, writing tokens from the end into the output, then reverse them in place.
        int first = output.Count;
        int e = n;
        while (e > 0)
        {
            int s = startAt[e];
            if (idAt[e] == UnkId)
            {
                // Fuse a run of unknowns.
                while (s > 0 && idAt[s] == UnkId) s = startAt[s];
                EmitUnknown(piece, s, e, output);
            }
            else output.Add(idAt[e], s, e);
            e = s;
        }
        Reverse(output, first);
    }

    /// <summary>A fused unknown run [start, end): a vocabulary piece if it is one, else byte pieces, else unk with its text.</summary>
    private void EmitUnknown(ReadOnlySpan<char> piece, int start, int end, ModelTokens output)
    {
        var text = piece[start..end];
        if (_lookup.TryGetValue(text, out int id)) { output.Add(id, start, end); return; }
        if (ByteFallback)
        {
            Span<byte> bytes = stackalloc byte[4];
            bool all = true;
            for (int i = 0; i < text.Length && all; i += CharLength(text, i))
            {
                int count = Utf8Bytes(text, i, bytes);
                for (int k = 0; k < count; k++) all &= _byteIds[bytes[k]] >= 0;
            }
            if (all)
            {
                // Emitted backwards (the caller reverses): last byte first.
                int mark = output.Count;
                for (int i = 0; i < text.Length; i += CharLength(text, i))
                {
                    int count = Utf8Bytes(text, i, bytes);
                    for (int k = 0; k < count; k++) output.Add(_byteIds[bytes[k]], start, end);
                }
                Reverse(output, mark);
                return;
            }
        }
        output.Add(UnkId, start, end, text.ToString());
    }

    private static int CharLength(ReadOnlySpan<char> text, int i) =>
        char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;

    private static int Utf8Bytes(ReadOnlySpan<char> text, int i, Span<byte> bytes)
    {
        int cp = CharLength(text, i) == 2 ? char.ConvertToUtf32(text[i], text[i + 1]) : char.IsSurrogate(text[i]) ? 0xFFFD : text[i];
        return new System.Text.Rune(cp).EncodeToUtf8(bytes);
    }

    private static void Reverse(ModelTokens output, int from)
    {
        int i = from, j = output.Count - 1;
        while (i < j)
        {
            (output.Ids[i], output.Ids[j]) = (output.Ids[j], output.Ids[i]);
            (output.Start[i], output.Start[j]) = (output.Start[j], output.Start[i]);
            (output.End[i], output.End[j]) = (output.End[j], output.End[i]);
            (output.Texts[i], output.Texts[j]) = (output.Texts[j], output.Texts[i]);
            i++; j--;
        }
    }

    /// <summary>Reads {"type": "Unigram", "unk_id": n|null, "vocab": [[piece, score], ...], "byte_fallback": bool}.</summary>
    public static UnigramModel FromJson(JsonFields f, JsonElement m, string path)
    {
        f.RejectUnknown(m, path, "type", "unk_id", "vocab", "byte_fallback");
        int? unkId = f.Int(m, path, "unk_id");
        bool byteFallback = f.Bool(m, path, "byte_fallback") ?? false;
        string vocabPath = JsonFields.Join(path, "vocab");
        if (!f.TryGet(m, "vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Array) throw f.Error(vocabPath, "must be an array of [piece, score]");
        var list = new List<(string, double)>(vocab.GetArrayLength());
        int i = 0;
        foreach (var entry in vocab.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Array || entry.GetArrayLength() != 2 || entry[0].ValueKind != JsonValueKind.String
                || entry[1].ValueKind != JsonValueKind.Number || !entry[1].TryGetDouble(out double score))
                throw f.Error($"{vocabPath}[{i}]", "must be [piece, score]");   // the entry's path is built only for an error
            list.Add((entry[0].GetString()!, score));
            i++;
        }
        if (unkId is { } u && (u < 0 || u >= list.Count)) throw f.Error(JsonFields.Join(path, "unk_id"), $"{u} is not an index of the vocabulary ({list.Count} pieces)");
        if (list.Count == 0 && unkId is not null) throw f.Error(vocabPath, "is empty");
        return new UnigramModel(list, unkId, byteFallback, f.File);
    }
}
