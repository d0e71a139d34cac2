using System.Collections.Concurrent;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Models;

/// <summary>
/// Hugging Face's BPE model (tokenizers/src/models/bpe): a piece's code points are looked up one by one (with
/// <c>continuing_subword_prefix</c> on all but the first, <c>end_of_word_suffix</c> on the last), unknown ones become
/// <c>&lt;0xXX&gt;</c> byte tokens (<c>byte_fallback</c>), the unk token (consecutive ones fused with <c>fuse_unk</c>) or
/// nothing; then the lowest-ranked merge present is applied first, leftmost first among equal ranks, exactly as the Rust
/// <c>Word::merge_all</c> priority queue does (a queued merge whose pair still produces the same token id is applied).
/// Token spans are [start, end) in UTF-16 chars of the piece. Like Rust, spans are cumulative byte lengths of the
/// symbols, so they are exact whenever every code point became a symbol of its own bytes; a dropped char shifts the
/// later spans as in Rust. Results of pieces shorter than 256 UTF-8 bytes are cached (10,000 pieces), so the steady
/// state allocates nothing. Immutable and thread-safe.
/// </summary>
internal sealed class BpeModel : ITokenModel
{
    private const int CacheCapacity = 10_000;
    private const int CacheMaxBytes = 256;

    private readonly VocabTable _vocab;
    private readonly string?[] _idToToken;
    private readonly Dictionary<long, int> _mergeRank;   // (left id << 32 | right id) -> rank
    private readonly int[] _mergeNewId;                  // rank -> merged token id
    private readonly int[] _charIds;                     // BMP char -> id of the one-char token, -1 when absent
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private readonly string _source;

    public string? UnkToken { get; }
    public string ContinuingSubwordPrefix { get; }
    public string EndOfWordSuffix { get; }
    public bool FuseUnk { get; }
    public bool ByteFallback { get; }
    public bool IgnoreMerges { get; }
    public int VocabSize => _idToToken.Length;
    /// <summary>Id of <see cref="UnkToken"/>, or -1 (no unk token, or not in the vocabulary).</summary>
    public int UnkId { get; }
    /// <summary>Number of merges (after duplicates collapsed to their last rank).</summary>
    public int MergeCount => _mergeRank.Count;

    /// <param name="vocab">token -> id</param>
    /// <param name="merges">merge rules, rank = index (a pair listed twice keeps its last rank)</param>
    /// <param name="source">file/field named in errors, e.g. "tokenizer.json: model"</param>
    public BpeModel(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, string source,
        string? unkToken = null, string? continuingSubwordPrefix = null, string? endOfWordSuffix = null,
        bool fuseUnk = false, bool byteFallback = false, bool ignoreMerges = false, bool cache = true)
    {
        _source = source;
        UnkToken = unkToken;
        ContinuingSubwordPrefix = continuingSubwordPrefix ?? "";
        EndOfWordSuffix = endOfWordSuffix ?? "";
        FuseUnk = fuseUnk;
        ByteFallback = byteFallback;
        IgnoreMerges = ignoreMerges;
        _cacheEnabled = cache;
        _vocab = new VocabTable(vocab);
        int size = 0;
        foreach (var (_, id) in vocab)
        {
            if (id < 0) throw new TokenizerException($"{source}.vocab: negative id {id}");
            size = Math.Max(size, id + 1);
        }
        _idToToken = new string?[size];
        foreach (var (token, id) in vocab) _idToToken[id] ??= token;
        UnkId = unkToken is not null && vocab.TryGetValue(unkToken, out int unk) ? unk : -1;

        _mergeRank = new Dictionary<long, int>(merges.Count);
        _mergeNewId = new int[merges.Count];
        int prefixLength = ContinuingSubwordPrefix.Length;
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            if (!vocab.TryGetValue(left, out int a))
                throw new TokenizerException($"{source}.merges[{rank}]: token '{left}' is not in the vocabulary");
            if (!vocab.TryGetValue(right, out int b))
                throw new TokenizerException($"{source}.merges[{rank}]: token '{right}' is not in the vocabulary");
            if (right.Length < prefixLength || !right.StartsWith(ContinuingSubwordPrefix, StringComparison.Ordinal))
                throw new TokenizerException($"{source}.merges[{rank}]: '{right}' does not start with the continuing_subword_prefix '{ContinuingSubwordPrefix}'");
            string merged = string.Concat(left, right.AsSpan(prefixLength));
            if (!vocab.TryGetValue(merged, out int newId))
                throw new TokenizerException($"{source}.merges[{rank}]: merged token '{merged}' is not in the vocabulary");
            _mergeRank[Key(a, b)] = rank;
            _mergeNewId[rank] = newId;
        }

        _charIds = new int[0x10000];
        Array.Fill(_charIds, -1);
        if (prefixLength == 0 && EndOfWordSuffix.Length == 0)
            foreach (var (token, id) in vocab)
                if (token.Length == 1 && !char.IsSurrogate(token[0])) _charIds[token[0]] = id;
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    private readonly bool _cacheEnabled;

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    public int? TokenToId(string token) => _vocab.TryGetValue(token, out int id) ? id : null;

    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    public void Tokenize(ReadOnlySpan<char> piece, ModelTokens output)
    {
        var sink = new ModelTokensSink(output);
        Tokenize(piece, ref sink);
    }

    private readonly struct ModelTokensSink(ModelTokens output) : IPieceSink
    {
        public int Count => output.Count;
        public void Add(int id, int start, int end) => output.Add(id, start, end);
        public void Truncate(int count) => output.Count = count;
    }

    /// <summary>Tokenizes one piece into <paramref name="sink"/>: ids with [start, end) in UTF-16 chars of the piece.</summary>
    public void Tokenize<TSink>(ReadOnlySpan<char> piece, ref TSink sink) where TSink : IPieceSink, allows ref struct
    {
        if (piece.IsEmpty) return;
        if (IgnoreMerges && _vocab.TryGetValue(piece, out int whole))
        {
            sink.Add(whole, 0, piece.Length);
            return;
        }
        if (_cacheEnabled && _cacheLookup.TryGetValue(piece, out var cached))
        {
            int start = 0;
            for (int i = 0; i < cached.Length; i += 2)
            {
                sink.Add(cached[i], start, cached[i + 1]);
                start = cached[i + 1];
            }
            return;
        }
        var w = BpeWord.Current;
        Build(piece, w);
        w.MergeAll(_mergeRank, _mergeNewId);
        int count = w.Emit(piece, ref sink);
        if (_cacheEnabled && w.ResultTiles && _cache.Count < CacheCapacity && System.Text.Encoding.UTF8.GetByteCount(piece) < CacheMaxBytes)
        {
            var entry = new int[2 * count];
            w.CopyResult(entry);
            _cacheLookup.TryAdd(piece, entry);
        }
    }

    /// <summary>merge_word's first half: one symbol per known code point, byte fallback, unk (fused), or nothing.</summary>
    private void Build(ReadOnlySpan<char> piece, BpeWord w)
    {
        w.Clear();
        bool affixes = ContinuingSubwordPrefix.Length > 0 || EndOfWordSuffix.Length > 0;
        int pendingUnkId = -1, pendingUnkBytes = 0, pendingUnkChars = 0;
        Span<char> small = stackalloc char[64];
        int i = 0;
        while (i < piece.Length)
        {
            int width = char.IsHighSurrogate(piece[i]) && i + 1 < piece.Length && char.IsLowSurrogate(piece[i + 1]) ? 2 : 1;
            var raw = piece.Slice(i, width);
            int byteLength = Utf8Length(raw);
            bool isFirst = i == 0, isLast = i + width == piece.Length;
            int id = -1;
            scoped ReadOnlySpan<char> symbol = raw;
            if (!affixes)
            {
                if (width == 1) id = _charIds[raw[0]];
                else _vocab.TryGetValue(raw, out id);
            }
            else
            {
                int n = (isFirst ? 0 : ContinuingSubwordPrefix.Length) + width + (isLast ? EndOfWordSuffix.Length : 0);
                Span<char> buffer = n <= small.Length ? small[..n] : new char[n];
                int k = 0;
                if (!isFirst) { ContinuingSubwordPrefix.CopyTo(buffer); k = ContinuingSubwordPrefix.Length; }
                raw.CopyTo(buffer[k..]);
                k += width;
                if (isLast) EndOfWordSuffix.CopyTo(buffer[k..]);
                symbol = buffer;
                _vocab.TryGetValue(symbol, out id);
            }
            if (id >= 0)
            {
                if (pendingUnkId >= 0) { w.Add(pendingUnkId, pendingUnkBytes, pendingUnkChars); pendingUnkId = -1; }
                w.Add(id, byteLength, width);
            }
            else if (!(ByteFallback && TryAddBytes(symbol, w)))
            {
                if (UnkToken is not null)
                {
                    if (UnkId < 0) throw new TokenizerException($"{_source}.unk_token: '{UnkToken}' is not in the vocabulary");
                    if (pendingUnkId >= 0 && FuseUnk) { pendingUnkBytes += byteLength; pendingUnkChars += width; }
                    else
                    {
                        if (pendingUnkId >= 0) w.Add(pendingUnkId, pendingUnkBytes, pendingUnkChars);
                        pendingUnkId = UnkId; pendingUnkBytes = byteLength; pendingUnkChars = width;
                    }
                }
                else w.Dropped = true;
            }
            i += width;
        }
        if (pendingUnkId >= 0) w.Add(pendingUnkId, pendingUnkBytes, pendingUnkChars);
    }

    /// <summary>Byte fallback: every UTF-8 byte of the (affixed) symbol as a "&lt;0xXX&gt;" token, or nothing when one is missing.</summary>
    private bool TryAddBytes(ReadOnlySpan<char> symbol, BpeWord w)
    {
        Span<byte> bytes = stackalloc byte[System.Text.Encoding.UTF8.GetMaxByteCount(symbol.Length)];
        int n = System.Text.Encoding.UTF8.GetBytes(symbol, bytes);
        Span<int> ids = stackalloc int[n];
        Span<char> name = stackalloc char[6];
        "<0x".CopyTo(name);
        name[5] = '>';
        for (int k = 0; k < n; k++)
        {
            name[3] = "0123456789ABCDEF"[bytes[k] >> 4];
            name[4] = "0123456789ABCDEF"[bytes[k] & 15];
            if (!_vocab.TryGetValue(name, out ids[k])) return false;
        }
        // Rust gives each byte token length 1, even for the prefix/suffix bytes: spans are then byte-based.
        for (int k = 0; k < n; k++) w.Add(ids[k], 1, 0);
        w.ByteSpans = true;
        return true;
    }

    internal static int Utf8Length(ReadOnlySpan<char> codePoint)
    {
        if (codePoint.Length == 2) return 4;
        char c = codePoint[0];
        return c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    }
}
