namespace BertSharp.Tokenization.Models;

/// <summary>
/// A trie over UTF-16 chars for common-prefix search (all vocabulary pieces that start a text), as the Rust Unigram
/// model's byte trie (prefixes of whole code point strings are the same in UTF-8 and UTF-16). Nodes are ints; the
/// edges live in one open-addressing table keyed by (node, char), so a step is one hash probe and nothing allocates.
/// </summary>
internal sealed class PieceTrie
{
    private long[] _keys;      // (node << 16 | char) + 1; 0 = empty
    private int[] _children;
    private int _mask, _edges;
    private readonly List<int> _values = [-1];   // per node: piece id, or -1

    public PieceTrie(int expectedEdges)
    {
        int capacity = 16;
        while (capacity < expectedEdges * 2) capacity *= 2;
        _keys = new long[capacity];
        _children = new int[capacity];
        _mask = capacity - 1;
    }

    public int MaxDepth { get; private set; }

    /// <summary>Adds <paramref name="piece"/> with <paramref name="id"/> (a later duplicate replaces the id).</summary>
    public void Add(ReadOnlySpan<char> piece, int id)
    {
        int node = 0;
        foreach (char c in piece)
        {
            int child = Child(node, c);
            if (child < 0)
            {
                child = _values.Count;
                _values.Add(-1);
                Insert(node, c, child);
            }
            node = child;
        }
        _values[node] = id;
        MaxDepth = Math.Max(MaxDepth, piece.Length);
    }

    /// <summary>The child of <paramref name="node"/> by <paramref name="c"/>, or -1.</summary>
    public int Child(int node, char c)
    {
        long key = ((long)node << 16 | c) + 1;
        int slot = (int)(Mix(key) & (uint)_mask);
        while (true)
        {
            long k = _keys[slot];
            if (k == key) return _children[slot];
            if (k == 0) return -1;
            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>The piece id ending at <paramref name="node"/>, or -1.</summary>
    public int Value(int node) => _values[node];

    private void Insert(int node, char c, int child)
    {
        if ((_edges + 1) * 2 > _keys.Length) Grow();
        long key = ((long)node << 16 | c) + 1;
        int slot = (int)(Mix(key) & (uint)_mask);
        while (_keys[slot] != 0) slot = (slot + 1) & _mask;
        _keys[slot] = key;
        _children[slot] = child;
        _edges++;
    }

    /// <summary>
    /// After the last <see cref="Add"/>: shrinks the edge table to the smallest power of two that keeps the load
    /// factor at most 0.5 (the constructor's estimate can be far above the real edge count), and the node values.
    /// </summary>
    public void TrimExcess()
    {
        int capacity = 16;
        while (capacity < _edges * 2) capacity *= 2;
        if (capacity < _keys.Length) Rehash(capacity);
        _values.TrimExcess();
    }

    private void Grow() => Rehash(_keys.Length * 2);

    private void Rehash(int capacity)
    {
        var keys = _keys;
        var children = _children;
        _keys = new long[capacity];
        _children = new int[capacity];
        _mask = _keys.Length - 1;
        for (int i = 0; i < keys.Length; i++)
        {
            if (keys[i] == 0) continue;
            int slot = (int)(Mix(keys[i]) & (uint)_mask);
            while (_keys[slot] != 0) slot = (slot + 1) & _mask;
            _keys[slot] = keys[i];
            _children[slot] = children[i];
        }
    }

    private static uint Mix(long key)
    {
        ulong x = (ulong)key * 0x9E3779B97F4A7C15UL;
        return (uint)(x >> 32);
    }
}
