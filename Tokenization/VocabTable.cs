namespace BertSharp.Tokenization;

/// <summary>
/// Read-only open-addressing hash table from token text to id, looked up by span (no allocation).
/// The hash is FNV-1a over UTF-16 chars, so the hashes of all prefixes of a string come out of one pass
/// (<see cref="PrefixHashes"/>): WordPiece's "try the longest piece, then one char shorter..." hashes each char once.
/// Keys are the token strings themselves (no copy of their chars): key index i is token <c>_keys[i]</c> without its
/// first <c>_keyOffset</c> chars, its id <c>_ids[i]</c> (or i itself when <c>_ids</c> is null, the usual case of a
/// vocabulary listed in id order). A table of continuation pieces (<see cref="WithPrefix"/>) shares the token and id
/// arrays of the table it comes from. Built by a <see cref="Builder"/>, in file order: a later entry for the same
/// token replaces its id but keeps its place, like a <c>Dictionary</c>.
/// </summary>
internal sealed class VocabTable
{
    private const uint FnvOffset = 2166136261, FnvPrime = 16777619;

    // One 4-byte slot per bucket: (hash & ~_indexMask) | (key index + 1), 0 = empty. The hash bits above the index
    // bits reject almost every other key without touching its string.
    private readonly string[] _keys;    // key index -> token; key = token[_keyOffset..]
    private readonly int[]? _ids;       // key index -> id; null: the id is the key index
    private readonly int _keyOffset;
    private readonly uint[] _slots;
    private readonly int _mask;         // buckets: _slots.Length - 1
    private readonly uint _indexMask;   // 2^k - 1 > every key index + 1 of _keys

    public int MaxKeyLength { get; }
    /// <summary>Number of keys (tokens with a distinct text).</summary>
    public int Count { get; }
    /// <summary>Highest id + 1 (0 when empty).</summary>
    public int IdLimit { get; }

    private VocabTable(string[] keys, int[]? ids, int keyOffset, int count, uint[] slots, uint indexMask, int maxKeyLength, int idLimit)
    {
        _keys = keys;
        _ids = ids;
        _keyOffset = keyOffset;
        Count = count;
        _slots = slots;
        _mask = slots.Length - 1;
        _indexMask = indexMask;
        MaxKeyLength = maxKeyLength;
        IdLimit = idLimit;
    }

    /// <summary>A table of the given entries (a later duplicate token replaces the id).</summary>
    public VocabTable(IEnumerable<KeyValuePair<string, int>> entries) : this(Build(entries)) { }

    private VocabTable(VocabTable built)
        : this(built._keys, built._ids, built._keyOffset, built.Count, built._slots, built._indexMask, built.MaxKeyLength, built.IdLimit) { }

    private static VocabTable Build(IEnumerable<KeyValuePair<string, int>> entries)
    {
        var builder = new Builder(entries.TryGetNonEnumeratedCount(out int n) ? n : 0);
        foreach (var (key, id) in entries) builder.Set(key, id);
        return builder.ToTable();
    }

    /// <summary>The token of key index <paramref name="index"/> (0 &lt;= index &lt; <see cref="Count"/>), prefix included.</summary>
    public string TokenAt(int index) => _keys[index];

    public int IdAt(int index) => _ids is null ? index : _ids[index];

    /// <summary>
    /// True when the ids are exactly 0..Count-1 with key index = id: <paramref name="tokens"/> is then the id -> token
    /// array itself (shared: never modify it).
    /// </summary>
    public bool TryGetTokensById(out string[] tokens)
    {
        tokens = _keys;
        return _ids is null && _keyOffset == 0 && _keys.Length == Count;
    }

    /// <summary>
    /// Writes each token at its id into <paramref name="tokensById"/> (length at least <see cref="IdLimit"/>), in key
    /// order: when several tokens share an id, the last key wins. Ids no token maps to are left as they are.
    /// </summary>
    public void CopyTokensById(string?[] tokensById)
    {
        for (int i = 0; i < Count; i++) tokensById[IdAt(i)] = _keys[i];
    }

    /// <summary>
    /// The tokens that start with <paramref name="prefix"/>, keyed without it ("##ing" is found as "ing"), with the
    /// same ids; shares this table's token and id arrays.
    /// </summary>
    public VocabTable WithPrefix(string prefix)
    {
        if (_keyOffset != 0) throw new InvalidOperationException("WithPrefix on a prefix table");
        int count = 0;
        for (int i = 0; i < Count; i++)
            if (_keys[i].StartsWith(prefix, StringComparison.Ordinal)) count++;
        var slots = new uint[Capacity(count)];
        int mask = slots.Length - 1, maxKeyLength = 0, idLimit = 0;
        uint indexMask = Math.Max((uint)mask, _indexMask);   // indexes into this table's (shared) token array
        for (int i = 0; i < Count; i++)
        {
            string token = _keys[i];
            if (!token.StartsWith(prefix, StringComparison.Ordinal)) continue;
            uint h = Hash(token.AsSpan(prefix.Length));
            int slot = (int)(h & (uint)mask);
            while (slots[slot] != 0) slot = (slot + 1) & mask;   // keys are distinct: no match to find
            slots[slot] = (h & ~indexMask) | (uint)(i + 1);
            maxKeyLength = Math.Max(maxKeyLength, token.Length - prefix.Length);
            idLimit = Math.Max(idLimit, IdAt(i) + 1);
        }
        return new VocabTable(_keys, _ids, prefix.Length, count, slots, indexMask, maxKeyLength, idLimit);
    }

    /// <summary>Power of two with a load factor of at most 0.5.</summary>
    private static int Capacity(int count)
    {
        int capacity = 16;
        while (capacity < count * 2) capacity *= 2;
        return capacity;
    }

    public static uint Hash(ReadOnlySpan<char> key)
    {
        uint h = FnvOffset;
        foreach (char c in key) h = (h ^ c) * FnvPrime;
        return h;
    }

    /// <summary>hashes[k] = hash of text[..(k + 1)] for k &lt; hashes.Length.</summary>
    public static void PrefixHashes(ReadOnlySpan<char> text, Span<uint> hashes)
    {
        uint h = FnvOffset;
        for (int k = 0; k < hashes.Length; k++)
        {
            h = (h ^ text[k]) * FnvPrime;
            hashes[k] = h;
        }
    }

    public bool TryGetValue(ReadOnlySpan<char> key, out int id) => TryGetValue(key, Hash(key), out id);

    /// <summary>Lookup with a precomputed <see cref="Hash"/> of <paramref name="key"/>.</summary>
    public bool TryGetValue(ReadOnlySpan<char> key, uint hash, out int id)
    {
        uint[] slots = _slots;
        uint indexMask = _indexMask, high = hash & ~indexMask;
        int mask = _mask;
        int slot = (int)(hash & (uint)mask);
        while (true)
        {
            uint s = slots[slot];
            if (s == 0) { id = -1; return false; }
            if ((s & ~indexMask) == high)
            {
                int index = (int)(s & indexMask) - 1;
                if (_keys[index].AsSpan(_keyOffset).SequenceEqual(key))
                {
                    id = _ids is null ? index : _ids[index];
                    return true;
                }
            }
            slot = (slot + 1) & mask;
        }
    }

    /// <summary>
    /// Builds a table entry by entry (loading only): <see cref="Set"/> in file order, then <see cref="ToTable"/>.
    /// Stores ids only once an entry's id differs from its key index.
    /// </summary>
    internal sealed class Builder
    {
        private string[] _keys;
        private int[]? _ids;
        private uint[] _slots;   // as the table's, with _indexMask = _slots.Length - 1 (the key count stays at most half of it)
        private int _count, _maxKeyLength;

        /// <param name="expectedCount">number of entries to come (the arrays grow if more come)</param>
        public Builder(int expectedCount)
        {
            _keys = new string[Math.Max(expectedCount, 0)];
            _slots = new uint[Capacity(expectedCount)];
        }

        /// <summary>Maps <paramref name="token"/> to <paramref name="id"/> (not negative); a token already set gets the new id.</summary>
        public void Set(string token, int id)
        {
            uint h = Hash(token);
            int mask = _slots.Length - 1;
            uint high = h & ~(uint)mask;
            int slot = (int)(h & (uint)mask);
            while (_slots[slot] != 0)
            {
                uint s = _slots[slot];
                int existing = (int)(s & (uint)mask) - 1;
                if ((s & ~(uint)mask) == high && string.Equals(_keys[existing], token, StringComparison.Ordinal))
                {
                    SetId(existing, id);
                    return;
                }
                slot = (slot + 1) & mask;
            }
            if (_count == _keys.Length) Array.Resize(ref _keys, Math.Max(16, _count * 2));
            _keys[_count] = token;
            SetId(_count, id);
            _slots[slot] = high | (uint)(_count + 1);
            _count++;
            _maxKeyLength = Math.Max(_maxKeyLength, token.Length);
            if ((_count * 2) > _slots.Length) Rehash();
        }

        private void SetId(int index, int id)
        {
            if (_ids is null)
            {
                if (id == index) return;
                _ids = new int[_keys.Length];
                for (int i = 0; i < _count; i++) _ids[i] = i;
            }
            else if (_ids.Length < _keys.Length) Array.Resize(ref _ids, _keys.Length);
            _ids[index] = id;
        }

        private void Rehash()
        {
            // The slots keep only the high hash bits: hash the keys again.
            var slots = new uint[_slots.Length * 2];
            int mask = slots.Length - 1;
            for (int i = 0; i < _count; i++)
            {
                uint h = Hash(_keys[i]);
                int slot = (int)(h & (uint)mask);
                while (slots[slot] != 0) slot = (slot + 1) & mask;
                slots[slot] = (h & ~(uint)mask) | (uint)(i + 1);
            }
            _slots = slots;
        }

        /// <summary>The finished table; the builder must not be used after.</summary>
        public VocabTable ToTable()
        {
            if (_keys.Length != _count) Array.Resize(ref _keys, _count);
            if (_ids is not null && _ids.Length != _count) Array.Resize(ref _ids, _count);
            // Ids can exceed the key count (gaps, or a vocab.txt token hidden by a later duplicate line): the id limit is
            // the highest id a token keeps + 1 (an id a repeated JSON key gave up does not count, as in Hugging Face).
            int idLimit = _count;
            if (_ids is not null)
            {
                idLimit = 0;
                for (int i = 0; i < _count; i++) idLimit = Math.Max(idLimit, _ids[i] + 1);
            }
            return new VocabTable(_keys, _ids, 0, _count, _slots, (uint)(_slots.Length - 1), _maxKeyLength, idLimit);
        }
    }
}
