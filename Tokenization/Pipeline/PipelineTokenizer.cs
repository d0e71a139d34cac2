namespace BertSharp.Tokenization.Pipeline;

/// <summary>
/// A tokenizer composed from tokenizer.json's parts the way Hugging Face's Rust <c>TokenizerImpl</c> runs them:
/// raw added tokens -> normalizer (per stretch between them) -> normalized added tokens -> pre-tokenizer -> model
/// (per piece) -> truncation -> post-processor -> padding; decoding through the decoder chain.
/// Offsets are UTF-16 [start, end) in the original string of the token's sequence, through every alignment.
/// Immutable and thread-safe; per-call buffers come from <see cref="TokenizerWorkspace"/>.
/// </summary>
internal sealed class PipelineTokenizer
{
    private readonly INormalizer? _normalizer;
    private readonly IPreTokenizer? _preTokenizer;
    private readonly ITokenModel _model;
    private readonly IPostProcessor _postProcessor;
    private readonly IDecoder? _decoder;
    private readonly AddedVocabulary _added;
    private readonly Dictionary<string, int> _addedTokens;
    private readonly string[] _idToToken;
    private readonly bool[] _hasToken, _isSpecial;

    public PipelineTokenizer(INormalizer? normalizer, IPreTokenizer? preTokenizer, ITokenModel model, IPostProcessor postProcessor,
        IDecoder? decoder, IReadOnlyList<PipelineAddedToken> addedTokens)
    {
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _model = model;
        _postProcessor = postProcessor;
        _decoder = decoder;
        int size = model.VocabSize;
        foreach (var t in addedTokens) size = Math.Max(size, t.Id + 1);
        _idToToken = new string[size];
        _hasToken = new bool[size];
        _isSpecial = new bool[size];
        Array.Fill(_idToToken, "");
        for (int id = 0; id < model.VocabSize; id++)
            if (model.IdToToken(id) is { } token) { _idToToken[id] = token; _hasToken[id] = true; }
        _addedTokens = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in addedTokens)
        {
            _idToToken[t.Id] = t.Content; _hasToken[t.Id] = true;
            _isSpecial[t.Id] |= t.Special;
            _addedTokens[t.Content] = t.Id;
        }
        _added = new AddedVocabulary(addedTokens, NormalizeString, size);
    }

    public ITokenModel Model => _model;
    public IPostProcessor PostProcessor => _postProcessor;
    public int VocabSize => _idToToken.Length;
    public int UnkTokenId => _model.UnkId;

    public int? TokenToId(string token)
    {
        if (_addedTokens.TryGetValue(token, out int id)) return id;
        return _model.TokenToId(token);
    }

    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length && _hasToken[id] ? _idToToken[id] : null;

    public bool IsSpecialToken(int id) => (uint)id < (uint)_isSpecial.Length && _isSpecial[id];

    internal string[] IdToTokenTable => _idToToken;

    /// <summary>Runs the normalizer on a whole string (added tokens' normalized content).</summary>
    public string NormalizeString(string s)
    {
        if (_normalizer is null) return s;
        var text = new NormalizedText();
        for (int i = 0; i < s.Length; i++) text.AppendChar(s[i], i, i + 1);
        _normalizer.Normalize(text, new NormalizedText());
        return text.Span.ToString();
    }

    // ---- encoding ----

    /// <summary>
    /// Tokenizes one sequence (no special tokens) into <paramref name="output"/>: ids, original UTF-16 offsets, word
    /// ids (piece index, as the Rust library counts splits) and texts where they differ from the vocabulary.
    /// </summary>
    public void EncodeSequence(ReadOnlySpan<char> text, TokenBuffer output, PipelineScratch ws)
    {
        output.Clear();
        var raw = ws.Raw;
        raw.Clear();
        _added.SplitRaw(text, raw, _idToToken);

        var normal = ws.Normal;
        normal.Clear();
        for (int i = 0; i < raw.Count; i++)
        {
            if (raw.IsToken(i)) { normal.CopyPiece(raw, i); continue; }
            var norm = ws.Normalized;
            norm.Clear();
            norm.EnsureCapacity(raw.PieceLength[i]);
            int from = raw.PieceStart[i];
            raw.Chars.AsSpan(from, raw.PieceLength[i]).CopyTo(norm.Chars);
            raw.Start.AsSpan(from, raw.PieceLength[i]).CopyTo(norm.Start);
            raw.End.AsSpan(from, raw.PieceLength[i]).CopyTo(norm.End);
            norm.Length = raw.PieceLength[i];
            _normalizer?.Normalize(norm, ws.NormalizedScratch);
            _added.SplitNormalized(norm, raw.PieceOrigin[i], normal, _idToToken);
        }

        PreTokenizedText pieces;
        if (_preTokenizer is null) pieces = normal;
        else
        {
            pieces = ws.Pieces;
            pieces.Clear();
            for (int i = 0; i < normal.Count; i++)
            {
                if (normal.IsToken(i)) pieces.CopyPiece(normal, i);
                else _preTokenizer.PreTokenize(normal, i, pieces, ws);
            }
        }

        var modelTokens = ws.ModelTokens;
        for (int word = 0; word < pieces.Count; word++)
        {
            if (pieces.IsToken(word))
            {
                output.Add(pieces.PieceToken[word], pieces.PieceOrigin[word], pieces.PieceTokenEnd[word], word, pieces.PieceText[word]);
                continue;
            }
            modelTokens.Clear();
            _model.Tokenize(pieces.Piece(word), modelTokens);
            int first = pieces.PieceStart[word];
            for (int k = 0; k < modelTokens.Count; k++)
            {
                int s = modelTokens.Start[k], e = modelTokens.End[k];
                // Rust convert_offsets: an empty range stays as it is; otherwise first char's start .. last char's end.
                int start = s == e ? pieces.PieceOrigin[word] + s : pieces.Start[first + s];
                int end = s == e ? pieces.PieceOrigin[word] + e : pieces.End[first + e - 1];
                output.Add(modelTokens.Ids[k], start, end, word, modelTokens.Texts[k]);
            }
        }
        modelTokens.Clear();
    }

    public Encoding Encode(string text, string? textPair, EncodeOptions options, int? modelMaxLength)
    {
        var ws = TokenizerWorkspace.Current;
        EncodeSequence(text, ws.A, ws.Pipeline);
        if (textPair is not null) EncodeSequence(textPair, ws.B, ws.Pipeline);
        TokenBuffer? b = textPair is null ? null : ws.B;
        int lengthA = ws.A.Count, lengthB = b?.Count ?? 0;
        var (keepA, keepB) = Truncate(lengthA, lengthB, b is not null, options, modelMaxLength);
        bool left = options.TruncationSide == TruncationSide.Left;
        if (_postProcessor is IOffsetProcessor offsets)
        {
            offsets.ProcessOffsets(text, ws.A, left ? lengthA - keepA : 0, keepA, _idToToken);
            if (b is not null) offsets.ProcessOffsets(textPair, ws.B, left ? lengthB - keepB : 0, keepB, _idToToken);
        }
        int padTo = options.Padding == PaddingStrategy.MaxLength ? RequireMaxLength(options, modelMaxLength, "padding to max length") : 0;
        var encoding = _postProcessor.Build(ws.A, left ? lengthA - keepA : 0, keepA, b, left ? lengthB - keepB : 0, keepB,
            options.AddSpecialTokens, _idToToken, RoundUp(padTo, options), options.PaddingSide == PaddingSide.Left, Pad);
        encoding.WasTruncated = keepA < lengthA || keepB < lengthB;
        ws.A.Clear();
        ws.B.Clear();
        ws.TrimIfHuge();
        return encoding;
    }

    /// <summary>Padding info (id -1 when the tokenizer has no pad token); set by the owner after loading.</summary>
    public PadInfo Pad { get; set; } = new(-1, "", 0);

    /// <summary>Ids of one text with special tokens, truncated (right) to fit <paramref name="destination"/>.</summary>
    public int EncodeIds(ReadOnlySpan<char> text, Span<int> destination, bool addSpecialTokens)
    {
        int added = addSpecialTokens ? _postProcessor.AddedTokens(false) : 0;
        if (destination.Length < added)
            throw new ArgumentException($"destination has room for {destination.Length} ids, fewer than the {added} special tokens", nameof(destination));
        var ws = TokenizerWorkspace.Current;
        EncodeSequence(text, ws.A, ws.Pipeline);
        int written = _postProcessor.WriteIds(ws.A, Math.Min(ws.A.Count, destination.Length - added), addSpecialTokens, destination);
        ws.A.Clear();
        ws.TrimIfHuge();
        return written;
    }

    internal static int RequireMaxLength(EncodeOptions options, int? modelMaxLength, string what)
    {
        int? max = options.MaxLength ?? modelMaxLength;
        if (max is null) throw new TokenizerException($"{what} needs EncodeOptions.MaxLength (the tokenizer has no model_max_length)");
        if (max < 0) throw new TokenizerException($"EncodeOptions.MaxLength must not be negative, got {max}");
        return max.Value;
    }

    internal static int RoundUp(int length, EncodeOptions options)
    {
        int multiple = options.PadToMultipleOf ?? 0;
        if (multiple < 0) throw new TokenizerException($"EncodeOptions.PadToMultipleOf must be positive, got {multiple}");
        if (options.Padding == PaddingStrategy.None || multiple <= 1 || length % multiple == 0) return length;
        return length + multiple - length % multiple;
    }

    /// <summary>
    /// The Rust library's post_process truncation: the special tokens are counted, and when max_length is below
    /// their number the subtraction wraps in Rust and nothing is truncated (kept here on purpose, see the README).
    /// </summary>
    private (int A, int B) Truncate(int lengthA, int lengthB, bool isPair, EncodeOptions options, int? modelMaxLength)
    {
        if (options.Truncation is not { } strategy) return (lengthA, lengthB);
        int maxLength = RequireMaxLength(options, modelMaxLength, "truncation");
        int added = options.AddSpecialTokens ? _postProcessor.AddedTokens(isPair) : 0;
        if (maxLength < added) return (lengthA, lengthB);
        return BertTokenizer.TruncateCounts(lengthA, lengthB, isPair, maxLength - added, strategy);
    }

    // ---- decoding ----

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        var tokens = new List<string>(ids.Length);
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)_idToToken.Length || !_hasToken[id])
                throw new TokenizerException($"cannot decode id {id} at position {i}: not in the vocabulary (size {VocabSize})");
            if (skipSpecialTokens && _isSpecial[id]) continue;
            tokens.Add(_idToToken[id]);
        }
        if (_decoder is null) return string.Join(' ', tokens);
        _decoder.DecodeChain(tokens);
        return string.Concat(tokens);
    }
}
