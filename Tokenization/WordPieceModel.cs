namespace BertSharp.Tokenization;

/// <summary>
/// The WordPiece model: greedy longest-match-first split of one word into vocabulary pieces, pieces after the first
/// carrying the continuing-subword prefix ("##"). A word that cannot be fully split, or that has more than
/// <see cref="MaxInputCharsPerWord"/> code points, becomes a single unknown token spanning the whole word.
/// Lookups use span keys: nothing is allocated per word or per token.
/// </summary>
internal sealed class WordPieceModel
{
    private readonly VocabTable _wordStart;
    // Pieces that continue a word, keyed without the prefix ("##ing" is found as "ing"); shares _wordStart's tokens.
    private readonly VocabTable _continuation;
    private readonly int _maxStartLength, _maxContinuationLength;

    private const int MaxHashedPiece = 64;

    public string UnkToken { get; }
    public int UnkId { get; }
    public string ContinuingSubwordPrefix { get; }
    public int MaxInputCharsPerWord { get; }
    /// <summary>The vocabulary: token -> id, and (through <see cref="VocabTable.TryGetTokensById"/>) id -> token.</summary>
    public VocabTable Vocab => _wordStart;

    // vocab: token -> id; source: the file named in errors.
    public WordPieceModel(VocabTable vocab, string unkToken, string continuingSubwordPrefix, int maxInputCharsPerWord, string source)
    {
        UnkToken = unkToken;
        ContinuingSubwordPrefix = continuingSubwordPrefix;
        MaxInputCharsPerWord = maxInputCharsPerWord;
        if (!vocab.TryGetValue(unkToken, out int unk))
            throw new TokenizerException($"{source}: unk_token '{unkToken}' is not in the vocabulary");
        UnkId = unk;
        _wordStart = vocab;
        _continuation = vocab.WithPrefix(continuingSubwordPrefix);
        _maxStartLength = _wordStart.MaxKeyLength;
        _maxContinuationLength = _continuation.MaxKeyLength;
    }

    /// <summary>The id of a whole token (prefix included, e.g. "##ing"), or null.</summary>
    public int? TokenToId(string token) => _wordStart.TryGetValue(token, out int id) ? id : null;

    /// <summary>
    /// Splits <paramref name="word"/> into pieces; for each calls <paramref name="sink"/>.Add(id, start, end) with
    /// the piece's [start, end) UTF-16 range inside the word. Returns the number of pieces.
    /// </summary>
    public int Tokenize<TSink>(ReadOnlySpan<char> word, ref TSink sink) where TSink : IPieceSink, allows ref struct
    {
        if (word.Length > MaxInputCharsPerWord && CountCodePoints(word) > MaxInputCharsPerWord)
        {
            sink.Add(UnkId, 0, word.Length);
            return 1;
        }
        // Pieces go straight to the sink; a word that turns out unsplittable is rolled back to one [UNK].
        int mark = sink.Count;
        Span<uint> hashes = stackalloc uint[MaxHashedPiece];
        int start = 0;
        while (start < word.Length)
        {
            bool isStart = start == 0;
            int maxLength = isStart ? _maxStartLength : _maxContinuationLength;
            int end = Math.Min(word.Length, start + maxLength);
            if (end < word.Length && char.IsLowSurrogate(word[end])) end--; // never cut a surrogate pair
            int id = -1;
            var table = isStart ? _wordStart : _continuation;
            // Hashes of every prefix of word[start..end] in one pass; then longest candidate first.
            int hashed = Math.Min(end - start, MaxHashedPiece);
            VocabTable.PrefixHashes(word[start..], hashes[..hashed]);
            while (end > start)
            {
                var piece = word[start..end];
                int n = end - start;
                if (n <= hashed ? table.TryGetValue(piece, hashes[n - 1], out id) : table.TryGetValue(piece, out id)) break;
                id = -1;
                end -= end - 2 >= start && char.IsLowSurrogate(word[end - 1]) && char.IsHighSurrogate(word[end - 2]) ? 2 : 1;
            }
            if (id < 0)
            {
                sink.Truncate(mark);
                sink.Add(UnkId, 0, word.Length);
                return 1;
            }
            sink.Add(id, start, end);
            start = end;
        }
        return sink.Count - mark;
    }

    private static int CountCodePoints(ReadOnlySpan<char> text)
    {
        int n = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            n++;
        }
        return n;
    }
}
