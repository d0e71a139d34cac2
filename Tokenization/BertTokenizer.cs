using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization;

/// <summary>
/// The tokenizer of a model folder, with the exact behaviour of Hugging Face's Rust <c>tokenizers</c>.
/// A BERT WordPiece tokenizer (BertNormalizer, BertPreTokenizer, WordPiece) runs the fused fast path:
/// added tokens -> <see cref="BertNormalizer"/> -> <see cref="BertPreTokenizer"/> -> <see cref="WordPieceModel"/>
/// -> truncation -> <see cref="TemplateProcessor"/> -> padding. Any other tokenizer.json (SentencePiece Unigram,
/// byte-level BPE, ...) runs the pipeline composed from its parts (<see cref="PipelineTokenizer"/>).
/// Immutable and thread-safe once loaded.
/// </summary>
public sealed class BertTokenizer
{
    private readonly PipelineTokenizer? _pipeline;           // non-null: the composed pipeline does everything
    private readonly BertNormalizer? _normalizer;
    private readonly WordPieceModel _model;
    private readonly AddedTokenMatcher _rawAddedTokens;        // matched in the original text
    private readonly AddedTokenMatcher _normalizedAddedTokens; // matched in the normalized text
    private readonly TemplateProcessor _template;
    private readonly WordPieceDecoder? _decoder;
    private readonly string[] _idToToken;   // "" for ids no token maps to (hidden by a duplicate vocab line)
    private readonly bool[] _hasToken;
    private readonly bool[] _isSpecial;
    private readonly Dictionary<string, int> _addedTokens;
    private readonly PadInfo _pad;
    // ASCII fast path: per ASCII char, the normalized char and its pre-tokenizer class (null when disabled).
    private readonly AsciiClass[]? _asciiClasses;
    private readonly char[] _asciiMapped = new char[128];
    /// <summary>Tests switch this off to compare the fused ASCII path with the staged reference path.</summary>
    internal bool UseAsciiFastPath = true;

    private enum AsciiClass : byte { Removed, Space, Punctuation, Word }

    internal BertTokenizer(TokenizerSettings s)
    {
        _model = new WordPieceModel(s.Vocab, s.UnkToken, s.ContinuingSubwordPrefix, s.MaxInputCharsPerWord, s.Source);
        _normalizer = s.HasNormalizer ? new BertNormalizer(s.CleanText, s.HandleChineseChars, s.StripAccents, s.Lowercase) : null;
        _addedTokens = new Dictionary<string, int>(StringComparer.Ordinal);
        _idToToken = IdToTokenTable(s.Vocab, s.AddedTokens);
        int size = _idToToken.Length;
        _hasToken = new bool[size];
        _isSpecial = new bool[size];
        for (int i = 0; i < s.Vocab.Count; i++) _hasToken[s.Vocab.IdAt(i)] = true;
        foreach (var t in s.AddedTokens)
        {
            _hasToken[t.Id] = true;
            _isSpecial[t.Id] |= t.Special;
            _addedTokens[t.Content] = t.Id;
        }
        _rawAddedTokens = new AddedTokenMatcher(s.AddedTokens.Where(t => !t.Normalized).Select(t => (t.Content, t.Id)));
        _normalizedAddedTokens = new AddedTokenMatcher(s.AddedTokens.Where(t => t.Normalized)
            .Select(t => (_normalizer?.Normalize(t.Content) ?? t.Content, t.Id)));

        UnkTokenId = _model.UnkId;
        ClsTokenId = TokenToId(s.ClsToken) ?? -1;
        SepTokenId = TokenToId(s.SepToken) ?? -1;
        MaskTokenId = TokenToId(s.MaskToken) ?? -1;
        PadTokenId = s.ConfiguredPadId ?? TokenToId(s.PadToken) ?? -1;
        _pad = new PadInfo(PadTokenId, PadTokenId >= 0 ? _idToToken[PadTokenId] : s.PadToken, s.ConfiguredPadTypeId ?? 0);
        _template = s.Template ?? DefaultTemplate(s);
        _decoder = s.Decoder;
        ModelMaxLength = s.ModelMaxLength;
        _configuredOptions = s.ConfiguredOptions;
        Normalizer = _normalizer;
        Model = _model;
        if (_normalizer is not null && _normalizedAddedTokens.IsEmpty)
        {
            _asciiClasses = new AsciiClass[128];
            for (char c = '\0'; c < 128; c++)
            {
                char? m = _normalizer.MapAscii(c);
                _asciiMapped[c] = m ?? c;
                var flags = m is { } mapped ? UnicodeTables.GetFlags(mapped) : CharFlags.None;
                _asciiClasses[c] = m is null ? AsciiClass.Removed
                    : (flags & CharFlags.Whitespace) != 0 ? AsciiClass.Space
                    : (flags & CharFlags.Punctuation) != 0 ? AsciiClass.Punctuation : AsciiClass.Word;
            }
        }
    }

    /// <summary>
    /// id -> token: a vocabulary token, overridden by an added token with the same id; "" for ids no token maps to.
    /// When the vocabulary lists ids 0..n-1 in order and every added token agrees with it (the usual case), this is
    /// the vocabulary's own token array, so each token string is held once.
    /// </summary>
    private static string[] IdToTokenTable(VocabTable vocab, List<AddedToken> addedTokens)
    {
        int size = vocab.IdLimit;
        foreach (var t in addedTokens) size = Math.Max(size, t.Id + 1);
        if (vocab.TryGetTokensById(out string[] dense) && dense.Length == size)
        {
            bool agree = true;
            foreach (var t in addedTokens) agree &= string.Equals(dense[t.Id], t.Content, StringComparison.Ordinal);
            if (agree) return dense;
        }
        var idToToken = new string[size];
        Array.Fill(idToToken, "");
        vocab.CopyTokensById(idToToken);
        foreach (var t in addedTokens) idToToken[t.Id] = t.Content;
        return idToToken;
    }

    /// <summary>A composed-pipeline tokenizer; <paramref name="names"/> holds the special token names of the folder's configs.</summary>
    private BertTokenizer(PipelineJsonLoader.Result loaded, TokenizerSettings names)
    {
        var p = loaded.Tokenizer;
        _pipeline = p;
        _model = null!; _rawAddedTokens = null!; _normalizedAddedTokens = null!; _template = null!;
        _idToToken = p.IdToTokenTable; _hasToken = null!; _isSpecial = null!; _addedTokens = null!; Model = null!;
        UnkTokenId = p.UnkTokenId;
        ClsTokenId = p.TokenToId(names.ClsToken) ?? -1;
        SepTokenId = p.TokenToId(names.SepToken) ?? -1;
        MaskTokenId = p.TokenToId(names.MaskToken) ?? -1;
        string padName = loaded.PadToken ?? names.PadToken;
        PadTokenId = loaded.PadId ?? p.TokenToId(padName) ?? -1;
        _pad = new PadInfo(PadTokenId, PadTokenId >= 0 ? _idToToken[PadTokenId] : padName, loaded.PadTypeId ?? 0);
        p.Pad = _pad;
        ModelMaxLength = names.ModelMaxLength;
        _configuredOptions = loaded.ConfiguredOptions;
    }

    private TemplateProcessor DefaultTemplate(TokenizerSettings s)
    {
        if (ClsTokenId < 0) throw new TokenizerException($"{s.Source}: cls_token '{s.ClsToken}' is not in the vocabulary");
        if (SepTokenId < 0) throw new TokenizerException($"{s.Source}: sep_token '{s.SepToken}' is not in the vocabulary");
        var cls = TemplateProcessor.Piece.Special([ClsTokenId], [s.ClsToken], 0);
        var sep0 = TemplateProcessor.Piece.Special([SepTokenId], [s.SepToken], 0);
        var sep1 = TemplateProcessor.Piece.Special([SepTokenId], [s.SepToken], 1);
        return new TemplateProcessor([cls, TemplateProcessor.Piece.Of(0, 0), sep0],
            [cls, TemplateProcessor.Piece.Of(0, 0), sep0, TemplateProcessor.Piece.Of(1, 1), sep1]);
    }

    // ---- loading ----

    /// <summary>
    /// Loads from a model folder: tokenizer.json when present, else vocab.txt + tokenizer_config.json
    /// (+ special_tokens_map.json, added_tokens.json). tokenizer_config.json also supplies model_max_length and the
    /// special token names when present beside tokenizer.json.
    /// </summary>
    public static BertTokenizer FromDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory)) throw new TokenizerException($"tokenizer folder not found: {directory}");
        string json = Path.Combine(directory, "tokenizer.json");
        if (File.Exists(json)) return FromParsedTokenizerJson(json, directory);
        return new BertTokenizer(PretrainedConfigLoader.Load(directory));
    }

    /// <summary>Loads a Hugging Face tokenizer.json (any composition of the supported components; see the README).</summary>
    public static BertTokenizer FromTokenizerJson(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) return new BertTokenizer(TokenizerJsonLoader.Load(path)); // throws "file not found"
        return FromParsedTokenizerJson(path, configDirectory: null);
    }

    /// <summary>
    /// Parses tokenizer.json once and loads it as the fused BERT tokenizer or the composed pipeline; with
    /// <paramref name="configDirectory"/>, its tokenizer_config.json / special_tokens_map.json supply the special token names.
    /// </summary>
    private static BertTokenizer FromParsedTokenizerJson(string json, string? configDirectory)
    {
        PipelineJsonLoader.Result? loaded = null;
        TokenizerSettings s;
        using (var doc = TokenizerJsonDocument.Parse(json)) // disposed before the tokenizer is built: the parsed file is not kept
        {
            if (!TokenizerJsonLoader.IsBertShaped(doc.Document.RootElement))
            {
                loaded = PipelineJsonLoader.Load(new JsonFields(json), doc.WholeRoot());
                s = new TokenizerSettings { Source = json };
            }
            else s = TokenizerJsonLoader.Load(json, doc.Document.RootElement, doc.HasVocabularyApart ? doc : null);
        }
        if (configDirectory is not null) PretrainedConfigLoader.ApplyConfigBesideTokenizerJson(configDirectory, s);
        return loaded is not null ? new BertTokenizer(loaded, s) : new BertTokenizer(s);
    }

    /// <summary>Loads vocab.txt + tokenizer_config.json (+ special_tokens_map.json) from a folder, ignoring any tokenizer.json.</summary>
    public static BertTokenizer FromVocabFile(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return new BertTokenizer(PretrainedConfigLoader.Load(directory));
    }

    // ---- vocabulary ----

    /// <summary>Number of id slots (highest id + 1); embedding matrices have this many rows.</summary>
    public int VocabSize => _idToToken.Length;
    public int PadTokenId { get; }
    public int UnkTokenId { get; }
    /// <summary>-1 when the tokenizer has no such token (also for <see cref="SepTokenId"/>, <see cref="PadTokenId"/>, <see cref="MaskTokenId"/>).</summary>
    public int ClsTokenId { get; }
    public int SepTokenId { get; }
    public int MaskTokenId { get; }
    /// <summary>tokenizer_config.json model_max_length; null when absent or a "no limit" sentinel (e.g. 1e30).</summary>
    public int? ModelMaxLength { get; }
    /// <summary>The truncation/padding sections of tokenizer.json (not applied unless passed to Encode); a fresh copy per call.</summary>
    public EncodeOptions? ConfiguredOptions => _configuredOptions?.Clone();
    private readonly EncodeOptions? _configuredOptions;

    internal BertNormalizer? Normalizer { get; }
    internal WordPieceModel Model { get; }

    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (_pipeline is not null) return _pipeline.TokenToId(token);
        if (_addedTokens.TryGetValue(token, out int id)) return id;
        return _model.TokenToId(token);
    }

    public string? IdToToken(int id) => _pipeline is not null ? _pipeline.IdToToken(id)
        : (uint)id < (uint)_idToToken.Length && _hasToken[id] ? _idToToken[id] : null;

    /// <summary>True for added tokens marked special ([CLS], [SEP], [PAD], [UNK], [MASK], ...).</summary>
    public bool IsSpecialToken(int id) => _pipeline is not null ? _pipeline.IsSpecialToken(id) : (uint)id < (uint)_isSpecial.Length && _isSpecial[id];

    // ---- encoding ----

    /// <summary>Encodes a text, or a pair when <paramref name="textPair"/> is not null (an empty pair still adds its [SEP]).</summary>
    public Encoding Encode(string text, string? textPair = null, EncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        options ??= EncodeOptions.Default;
        if (_pipeline is not null)
        {
            var pe = _pipeline.Encode(text, textPair, options, ModelMaxLength);
            if (options.Padding == PaddingStrategy.Longest) Pad(pe, RoundUp(pe.Length, options), options.PaddingSide == PaddingSide.Left);
            return pe;
        }
        var ws = TokenizerWorkspace.Current;
        EncodeSequence(text, ws.A, int.MaxValue, ws);
        if (textPair is not null) EncodeSequence(textPair, ws.B, int.MaxValue, ws);
        TokenBuffer? b = textPair is null ? null : ws.B;
        var (lengthA, lengthB) = Truncate(ws.A.Count, b?.Count ?? 0, b is not null, options);
        int padTo = options.Padding switch
        {
            PaddingStrategy.MaxLength => RequireMaxLength(options, "padding to max length"),
            _ => 0,
        };
        bool cutLeft = options.TruncationSide == TruncationSide.Left, padLeft = options.PaddingSide == PaddingSide.Left;
        var encoding = _template.Build(ws.A, cutLeft ? ws.A.Count - lengthA : 0, lengthA, b, cutLeft && b is not null ? b.Count - lengthB : 0, lengthB,
            options.AddSpecialTokens, _idToToken, RoundUp(padTo, options), padLeft, _pad);
        if (options.Padding == PaddingStrategy.Longest) Pad(encoding, RoundUp(encoding.Length, options), padLeft);
        encoding.WasTruncated = lengthA < ws.A.Count || lengthB < (b?.Count ?? 0);
        ws.TrimIfHuge();
        return encoding;
    }

    /// <summary>
    /// Encodes many texts (or pairs) using all cores; with <see cref="PaddingStrategy.Longest"/> all are padded to
    /// the longest of the batch.
    /// </summary>
    public Encoding[] EncodeBatch(IReadOnlyList<string> texts, IReadOnlyList<string?>? textPairs = null, EncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (textPairs is not null && textPairs.Count != texts.Count)
            throw new ArgumentException($"textPairs has {textPairs.Count} entries but texts has {texts.Count}", nameof(textPairs));
        for (int i = 0; i < texts.Count; i++)
            if (texts[i] is null) throw new ArgumentException($"texts[{i}] is null", nameof(texts));
        options ??= EncodeOptions.Default;
        var single = options.Padding == PaddingStrategy.Longest ? new EncodeOptions
        {
            AddSpecialTokens = options.AddSpecialTokens, MaxLength = options.MaxLength, Truncation = options.Truncation,
            TruncationSide = options.TruncationSide, PaddingSide = options.PaddingSide,
        } : options;
        var results = new Encoding[texts.Count];
        if (texts.Count < 16)
        {
            for (int i = 0; i < texts.Count; i++) results[i] = Encode(texts[i], textPairs?[i], single);
        }
        else
        {
            Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, texts.Count, Math.Max(8, texts.Count / (4 * Environment.ProcessorCount))),
                range => { for (int i = range.Item1; i < range.Item2; i++) results[i] = Encode(texts[i], textPairs?[i], single); });
        }
        if (options.Padding == PaddingStrategy.Longest && results.Length > 0)
        {
            int longest = 0;
            foreach (var e in results) longest = Math.Max(longest, e.Length);
            int target = RoundUp(longest, options);
            foreach (var e in results) Pad(e, target, options.PaddingSide == PaddingSide.Left);
        }
        return results;
    }

    /// <summary>
    /// Allocation-free encode of one text into ids ([CLS] ... [SEP] with special tokens). The result is truncated to
    /// fit <paramref name="destination"/> (special tokens kept), exactly like LongestFirst truncation to
    /// destination.Length. Returns the number of ids written.
    /// </summary>
    public int EncodeIds(ReadOnlySpan<char> text, Span<int> destination, bool addSpecialTokens = true)
    {
        if (_pipeline is not null) return _pipeline.EncodeIds(text, destination, addSpecialTokens);
        int added = addSpecialTokens ? _template.AddedTokens(false) : 0;
        if (destination.Length < added)
            throw new ArgumentException($"destination has room for {destination.Length} ids, fewer than the {added} special tokens", nameof(destination));
        var ws = TokenizerWorkspace.Current;
        int limit = destination.Length - added;
        EncodeSequence(text, ws.A, limit, ws);
        int written = _template.WriteIds(ws.A, Math.Min(ws.A.Count, limit), addSpecialTokens, destination);
        ws.TrimIfHuge();
        return written;
    }

    /// <summary>Tokenizes one sequence (no special tokens) into <paramref name="output"/>, stopping once it holds at least <paramref name="limit"/> tokens.</summary>
    private void EncodeSequence(ReadOnlySpan<char> text, TokenBuffer output, int limit, TokenizerWorkspace ws)
    {
        output.Clear();
        int wordId = 0;
        int pos = 0;
        while (pos <= text.Length && output.Count < limit)
        {
            int index = text.Length, length = 0, id = -1;
            if (_rawAddedTokens.FindNext(text, pos, out int mIndex, out int mLength, out int mId)) { index = mIndex; length = mLength; id = mId; }
            if (index > pos) EncodeSegment(text[pos..index], pos, output, ref wordId, limit, ws);
            if (id < 0) break;
            if (output.Count >= limit) break;
            output.Add(id, index, index + length, wordId++);
            pos = index + length;
        }
    }

    /// <summary>Normalizes, pre-tokenizes and WordPiece-splits one stretch of text without raw added tokens.</summary>
    private void EncodeSegment(ReadOnlySpan<char> segment, int offset, TokenBuffer output, ref int wordId, int limit, TokenizerWorkspace ws)
    {
        if (_asciiClasses is null || !UseAsciiFastPath)
        {
            EncodeStagedInChunks(segment, offset, output, ref wordId, limit, ws);
            return;
        }
        // ASCII stretches take the fused path; each non-ASCII char takes the staged path together with the rest of
        // its whitespace-delimited stretch. Cutting at ASCII whitespace is exact: every normalizer stage is local
        // (whitespace is an NFD starter) and the pre-tokenizer always splits there.
        var classes = _asciiClasses;
        int pos = 0;
        while (pos < segment.Length && output.Count < limit)
        {
            int other = segment[pos..].IndexOfAnyExceptInRange('\0', '\x7f');
            if (other < 0)
            {
                EncodeAsciiSegment(segment[pos..], offset + pos, output, ref wordId, limit, ws);
                return;
            }
            other += pos;
            int cut = other - 1;
            while (cut >= pos && classes[segment[cut]] != AsciiClass.Space) cut--;
            if (cut >= pos) EncodeAsciiSegment(segment[pos..(cut + 1)], offset + pos, output, ref wordId, limit, ws);
            if (output.Count >= limit) return;
            int end = other + 1;
            while (end < segment.Length && (segment[end] >= 128 || classes[segment[end]] != AsciiClass.Space)) end++;
            EncodeStagedInChunks(segment[(cut + 1)..end], offset + cut + 1, output, ref wordId, limit, ws);
            pos = end;
        }
    }

    /// <summary>
    /// Runs the staged path on pieces of at most about <see cref="StagedChunkChars"/> chars, cut just before a
    /// whitespace, punctuation or CJK code point: a word boundary whatever the normalizer does (all are NFD starters;
    /// whitespace splits, punctuation is isolated, CJK ideographs get spaces). Keeps scratch memory small for huge inputs and lets EncodeIds stop early.
    /// A word with no such boundary for longer than the chunk size is simply not cut.
    /// </summary>
    private void EncodeStagedInChunks(ReadOnlySpan<char> region, int offset, TokenBuffer output, ref int wordId, int limit, TokenizerWorkspace ws)
    {
        int pos = 0;
        while (pos < region.Length && output.Count < limit)
        {
            int end = region.Length;
            if (region.Length - pos > StagedChunkChars && _normalizedAddedTokens.IsEmpty)
            {
                end = pos + StagedChunkChars;
                while (end < region.Length && !IsSafeCut(region, end)) end++;
            }
            EncodeStaged(region[pos..end], offset + pos, output, ref wordId, limit, ws);
            pos = end;
        }
    }

    /// <summary>Chunk size of the staged path (tests shrink it to force many cuts).</summary>
    internal int StagedChunkChars = 4096;

    private bool IsSafeCut(ReadOnlySpan<char> text, int index)
    {
        char c = text[index];
        if (char.IsLowSurrogate(c)) return false;
        int cp = char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1])
            ? char.ConvertToUtf32(c, text[index + 1]) : c;
        var flags = UnicodeTables.GetFlags(cp);
        if (_normalizer is { CleanText: true } && (flags & CharFlags.CleanRemoves) != 0) return false;
        // Whitespace splits; a CJK ideograph gets spaces; punctuation is isolated (and stays punctuation through NFD).
        return (flags & (CharFlags.Whitespace | CharFlags.Punctuation)) != 0
            || (_normalizer is { HandleChineseChars: true } && (flags & CharFlags.Chinese) != 0);
    }

    /// <summary>The staged reference path: normalize the whole stretch, then pre-tokenize and WordPiece it.</summary>
    private void EncodeStaged(ReadOnlySpan<char> segment, int offset, TokenBuffer output, ref int wordId, int limit, TokenizerWorkspace ws)
    {
        var norm = ws.Normalized;
        norm.Clear();
        if (_normalizer is not null) _normalizer.Normalize(segment, offset, norm, ws.NormalizerScratch);
        else
        {
            var buffer = ws.NormalizerScratch.A;
            BertNormalizer.Decode(segment, offset, buffer);
            for (int i = 0; i < buffer.Count; i++) norm.Append(buffer.CodePoints[i], buffer.Start[i], buffer.End[i]);
        }
        ReadOnlySpan<char> text = norm.Span;
        int pos = 0;
        while (pos < text.Length && output.Count < limit)
        {
            int index = text.Length, length = 0, id = -1;
            if (_normalizedAddedTokens.FindNext(text, pos, out int mIndex, out int mLength, out int mId)) { index = mIndex; length = mLength; id = mId; }
            if (index > pos) EncodeWords(text, pos, index, norm, output, ref wordId, limit);
            if (id < 0 || output.Count >= limit) break;
            output.Add(id, norm.Start[index], norm.End[index + length - 1], wordId++);
            pos = index + length;
        }
    }

    /// <summary>
    /// The fused fast path for an all-ASCII segment: normalization (delete, map to ' ', lowercase) and pre-tokenization
    /// in one pass over the original chars, each word WordPiece-split as soon as it ends. Same output as the staged
    /// path (proven by a property test), without the normalized-text buffers.
    /// </summary>
    private void EncodeAsciiSegment(ReadOnlySpan<char> segment, int offset, TokenBuffer output, ref int wordId, int limit, TokenizerWorkspace ws)
    {
        if (ws.WordChars.Length < segment.Length)
        {
            ws.WordChars = new char[Math.Max(segment.Length, ws.WordChars.Length * 2)];
            ws.WordPositions = new int[ws.WordChars.Length];
        }
        char[] chars = ws.WordChars;
        int[] positions = ws.WordPositions;
        AsciiClass[] classes = _asciiClasses!;
        char[] mapped = _asciiMapped;
        int length = 0;
        for (int i = 0; i < segment.Length; i++)
        {
            char c = segment[i];
            switch (classes[c])
            {
                case AsciiClass.Word:
                    chars[length] = mapped[c];
                    positions[length++] = offset + i;
                    break;
                case AsciiClass.Space:
                    if (length > 0) { FlushWord(chars, positions, length, output, ref wordId); length = 0; }
                    if (output.Count >= limit) return;
                    break;
                case AsciiClass.Punctuation:
                    if (length > 0) { FlushWord(chars, positions, length, output, ref wordId); length = 0; }
                    if (output.Count >= limit) return;
                    chars[0] = mapped[c];
                    positions[0] = offset + i;
                    FlushWord(chars, positions, 1, output, ref wordId);
                    if (output.Count >= limit) return;
                    break;
                // Removed: a deleted char joins its neighbours into one word, like the staged path.
            }
        }
        if (length > 0) FlushWord(chars, positions, length, output, ref wordId);
    }

    private void FlushWord(char[] chars, int[] positions, int length, TokenBuffer output, ref int wordId)
    {
        var sink = new PositionSink(output, positions, wordId++);
        _model.Tokenize(chars.AsSpan(0, length), ref sink);
    }

    /// <summary>Maps in-word ranges to original offsets through the word's per-char positions (ASCII: one char each).</summary>
    private readonly ref struct PositionSink(TokenBuffer output, int[] positions, int wordId) : IPieceSink
    {
        public int Count => output.Count;
        public void Add(int id, int start, int end) => output.Add(id, positions[start], positions[end - 1] + 1, wordId);
        public void Truncate(int count) => output.Count = count;
    }

    private void EncodeWords(ReadOnlySpan<char> text, int from, int to, NormalizedText norm, TokenBuffer output, ref int wordId, int limit)
    {
        foreach (var (start, end) in BertPreTokenizer.Split(text[from..to]))
        {
            if (output.Count >= limit) return;
            var sink = new OffsetMappingSink(output, norm, from + start, wordId++);
            _model.Tokenize(text[(from + start)..(from + end)], ref sink);
        }
    }

    /// <summary>Maps WordPiece's in-word ranges back to original offsets as it adds tokens.</summary>
    private readonly ref struct OffsetMappingSink(TokenBuffer output, NormalizedText norm, int wordStart, int wordId) : IPieceSink
    {
        public int Count => output.Count;
        public void Add(int id, int start, int end) =>
            output.Add(id, norm.Start[wordStart + start], norm.End[wordStart + end - 1], wordId);
        public void Truncate(int count) => output.Count = count;
    }

    // ---- truncation and padding ----

    private int RequireMaxLength(EncodeOptions options, string what)
    {
        int? max = options.MaxLength ?? ModelMaxLength;
        if (max is null) throw new TokenizerException($"{what} needs EncodeOptions.MaxLength (the tokenizer has no model_max_length)");
        if (max < 0) throw new TokenizerException($"EncodeOptions.MaxLength must not be negative, got {max}");
        return max.Value;
    }

    private static int RoundUp(int length, EncodeOptions options)
    {
        int multiple = options.PadToMultipleOf ?? 0;
        if (multiple < 0) throw new TokenizerException($"EncodeOptions.PadToMultipleOf must be positive, got {multiple}");
        if (options.Padding == PaddingStrategy.None || multiple <= 1 || length % multiple == 0) return length;
        return length + multiple - length % multiple;
    }

    private void Pad(Encoding encoding, int length, bool left)
    {
        if (encoding.Length >= length) return;
        if (PadTokenId < 0) throw new TokenizerException("padding needs a pad token, and this tokenizer has none");
        encoding.PadTo(length, _pad.Id, _pad.Token, _pad.TypeId, left);
    }

    /// <summary>The Rust library's truncate_encodings, on the token counts of A and B before special tokens.</summary>
    private (int A, int B) Truncate(int lengthA, int lengthB, bool isPair, EncodeOptions options)
    {
        if (options.Truncation is not { } strategy) return (lengthA, lengthB);
        int maxLength = RequireMaxLength(options, "truncation");
        int added = options.AddSpecialTokens ? _template.AddedTokens(isPair) : 0;
        if (maxLength < added)
            throw new TokenizerException($"max_length {maxLength} leaves no room: the template adds {added} special tokens");
        return TruncateCounts(lengthA, lengthB, isPair, maxLength - added, strategy);
    }

    internal static (int A, int B) TruncateCounts(int lengthA, int lengthB, bool isPair, int maxLength, TruncationStrategy strategy)
    {
        if (maxLength == 0) return (0, 0);
        int total = lengthA + lengthB;
        if (total <= maxLength) return (lengthA, lengthB);
        int toRemove = total - maxLength;
        switch (strategy)
        {
            case TruncationStrategy.LongestFirst when isPair:
            {
                int n1 = lengthA, n2 = lengthB;
                bool swap = n1 > n2;
                if (swap) (n1, n2) = (n2, n1);
                n2 = n1 > maxLength ? n1 : Math.Max(n1, maxLength - n1);
                if (n1 + n2 > maxLength)
                {
                    n1 = maxLength / 2;
                    n2 = n1 + maxLength % 2;
                }
                if (swap) (n1, n2) = (n2, n1);
                return (Math.Min(lengthA, n1), Math.Min(lengthB, n2));
            }
            case TruncationStrategy.LongestFirst:
                return (lengthA - toRemove, lengthB);
            case TruncationStrategy.OnlyFirst:
                if (lengthA <= toRemove)
                    throw new TokenizerException($"truncation only_first: the first sequence ({lengthA} tokens) is too short to remove {toRemove} tokens; use longest_first");
                return (lengthA - toRemove, lengthB);
            default:
                if (!isPair) throw new TokenizerException("truncation only_second needs a text pair");
                if (lengthB <= toRemove)
                    throw new TokenizerException($"truncation only_second: the second sequence ({lengthB} tokens) is too short to remove {toRemove} tokens; use longest_first");
                return (lengthA, lengthB - toRemove);
        }
    }

    // ---- decoding ----

    /// <summary>
    /// Ids back to text through the WordPiece decoder ("##" pieces glued, cleanup of spaces before punctuation).
    /// An id outside the vocabulary is an error naming its position.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = true)
    {
        if (_pipeline is not null) return _pipeline.Decode(ids, skipSpecialTokens);
        var tokens = new List<string>(ids.Length);
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)_idToToken.Length || !_hasToken[id])
                throw new TokenizerException($"cannot decode id {id} at position {i}: not in the vocabulary (size {VocabSize})");
            if (skipSpecialTokens && _isSpecial[id]) continue;
            tokens.Add(_idToToken[id]);
        }
        return _decoder is null ? string.Join(' ', tokens) : _decoder.Decode(tokens);
    }
}
