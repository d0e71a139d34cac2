namespace BertSharp.Tokenization.Models;

/// <summary>
/// Per-thread scratch of <see cref="BpeModel"/>: the symbols of one piece as a doubly linked list over arrays (Rust
/// <c>Word</c>), the merge priority queue, and the emitted (id, end) pairs. Grows, never shrinks.
/// </summary>
internal sealed class BpeWord
{
    [ThreadStatic] private static BpeWord? t_current;
    public static BpeWord Current => t_current ??= new BpeWord();

    // Symbol i: token id, previous/next live symbol (-1 none), UTF-8 length (0 = merged away), UTF-16 length.
    private int[] _id = new int[64], _prev = new int[64], _next = new int[64], _bytes = new int[64], _chars = new int[64];
    private int _count;
    // Min-heap of (rank << 32 | position): lowest rank first, then leftmost.
    private long[] _heap = new long[64];
    private int _heapCount;
    private int[] _resultIds = new int[64], _resultEnds = new int[64];
    private int _resultCount;
    private int[] _charAtByte = new int[256];

    /// <summary>A char was dropped (unknown, no unk token): spans follow the Rust byte arithmetic.</summary>
    public bool Dropped;
    /// <summary>Byte-fallback tokens are present: spans follow the Rust byte arithmetic.</summary>
    public bool ByteSpans;

    public void Clear() { _count = 0; _heapCount = 0; Dropped = false; ByteSpans = false; }

    public void Add(int id, int byteLength, int charLength)
    {
        if (_count == _id.Length)
        {
            int n = _count * 2;
            Array.Resize(ref _id, n); Array.Resize(ref _prev, n); Array.Resize(ref _next, n);
            Array.Resize(ref _bytes, n); Array.Resize(ref _chars, n);
        }
        int i = _count++;
        _id[i] = id; _prev[i] = i - 1; _next[i] = -1; _bytes[i] = byteLength; _chars[i] = charLength;
        if (i > 0) _next[i - 1] = i;
    }

    /// <summary>Rust <c>Word::merge_all</c> without dropout.</summary>
    public void MergeAll(Dictionary<long, int> mergeRank, int[] mergeNewId)
    {
        for (int i = 0; i + 1 < _count; i++)
            if (mergeRank.TryGetValue(Key(_id[i], _id[i + 1]), out int rank)) Push(rank, i);
        while (_heapCount > 0)
        {
            long top = Pop();
            int rank = (int)(top >> 32), pos = (int)(uint)top;
            if (_bytes[pos] == 0 && _chars[pos] == 0) continue;
            int next = _next[pos];
            if (next == -1) continue;
            int newId = mergeNewId[rank];
            if (!mergeRank.TryGetValue(Key(_id[pos], _id[next]), out int currentRank) || mergeNewId[currentRank] != newId) continue;

            _id[pos] = newId;
            _bytes[pos] += _bytes[next];
            _chars[pos] += _chars[next];
            _next[pos] = _next[next];
            _bytes[next] = 0; _chars[next] = 0;
            if (_next[pos] >= 0) _prev[_next[pos]] = pos;

            int prev = _prev[pos];
            if (prev >= 0 && mergeRank.TryGetValue(Key(_id[prev], newId), out int r1)) Push(r1, prev);
            if (_next[pos] >= 0 && mergeRank.TryGetValue(Key(newId, _id[_next[pos]]), out int r2)) Push(r2, pos);
        }
    }

    /// <summary>Writes the live symbols to <paramref name="sink"/> with spans in UTF-16 chars of the piece; returns the count.</summary>
    public int Emit<TSink>(ReadOnlySpan<char> piece, ref TSink sink) where TSink : IPieceSink, allows ref struct
    {
        if (_resultIds.Length < _count) { _resultIds = new int[_count]; _resultEnds = new int[_count]; }
        _resultCount = 0;
        bool byBytes = Dropped || ByteSpans;
        if (byBytes) MapBytes(piece);
        int position = 0, bytePosition = 0;
        for (int i = 0; i < _count; i++)
        {
            if (_bytes[i] == 0 && _chars[i] == 0) continue;
            int start, end;
            if (!byBytes)
            {
                start = position;
                end = position += _chars[i];
            }
            else
            {
                int byteEnd = bytePosition + _bytes[i];
                start = CharAt(bytePosition, piece.Length);
                end = _bytes[i] == 0 ? start : CharEnd(byteEnd - 1, piece);
                bytePosition = byteEnd;
            }
            sink.Add(_id[i], start, end);
            _resultIds[_resultCount] = _id[i];
            _resultEnds[_resultCount++] = end;
        }
        return _resultCount;
    }

    /// <summary>The last <see cref="Emit"/> as (id, end) pairs (its starts are the previous ends, from 0).</summary>
    public void CopyResult(Span<int> destination)
    {
        for (int i = 0; i < _resultCount; i++)
        {
            destination[2 * i] = _resultIds[i];
            destination[2 * i + 1] = _resultEnds[i];
        }
    }

    /// <summary>True when the spans of the last emit tile the piece (then a cache entry can rebuild them from ends).</summary>
    public bool ResultTiles => !Dropped && !ByteSpans;

    private int _mappedBytes;

    private void MapBytes(ReadOnlySpan<char> piece)
    {
        int total = System.Text.Encoding.UTF8.GetByteCount(piece);
        if (_charAtByte.Length < total) _charAtByte = new int[Math.Max(total, _charAtByte.Length * 2)];
        int b = 0;
        for (int i = 0; i < piece.Length;)
        {
            int width = char.IsHighSurrogate(piece[i]) && i + 1 < piece.Length && char.IsLowSurrogate(piece[i + 1]) ? 2 : 1;
            int n = BpeModel.Utf8Length(piece.Slice(i, width));
            for (int k = 0; k < n; k++) _charAtByte[b++] = i;
            i += width;
        }
        _mappedBytes = total;
    }

    private int CharAt(int bytePosition, int pieceLength) => bytePosition < _mappedBytes ? _charAtByte[bytePosition] : pieceLength;

    private int CharEnd(int lastByte, ReadOnlySpan<char> piece)
    {
        if (lastByte >= _mappedBytes) return piece.Length;
        int i = _charAtByte[lastByte];
        return i + (char.IsHighSurrogate(piece[i]) && i + 1 < piece.Length && char.IsLowSurrogate(piece[i + 1]) ? 2 : 1);
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private void Push(int rank, int pos)
    {
        if (_heapCount == _heap.Length) Array.Resize(ref _heap, _heapCount * 2);
        long item = ((long)rank << 32) | (uint)pos;
        int i = _heapCount++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (_heap[parent] <= item) break;
            _heap[i] = _heap[parent];
            i = parent;
        }
        _heap[i] = item;
    }

    private long Pop()
    {
        long top = _heap[0];
        long last = _heap[--_heapCount];
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= _heapCount) break;
            if (child + 1 < _heapCount && _heap[child + 1] < _heap[child]) child++;
            if (_heap[child] >= last) break;
            _heap[i] = _heap[child];
            i = child;
        }
        if (_heapCount > 0) _heap[i] = last;
        return top;
    }
}
