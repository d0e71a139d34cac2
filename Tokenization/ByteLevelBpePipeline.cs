using System.Text.Json;
using BertSharp.Tokenization.Decoders;
using BertSharp.Tokenization.Models;
using BertSharp.Tokenization.PostProcessors;
using BertSharp.Tokenization.PreTokenizers;

namespace BertSharp.Tokenization;

/// <summary>
/// Minimal wiring of the byte-level BPE components until the composed pipeline (tokenizer.json composition, added
/// tokens, truncation/padding sides, TemplateProcessing) takes them over: added tokens (lstrip/rstrip; matched in the
/// raw text, then the normalized-flag ones in the rest, as AddedVocabulary does with no normalizer) ->
/// <see cref="ByteLevelPreTokenizer"/> -> <see cref="BpeModel"/> -> truncation (the Rust algorithm, either side) ->
/// ByteLevel offset trimming -> RobertaProcessing / ByteLevel / no post-processor -> padding (either side).
/// Offsets are UTF-16 spans of the sequence's string. Immutable and thread-safe.
/// </summary>
internal sealed class ByteLevelBpePipeline
{
    private sealed record Added(string Content, int Id, bool Special, bool Normalized, bool LStrip, bool RStrip);

    private readonly Added[] _added;
    private readonly Dictionary<int, Added> _addedById = new();
    private readonly AddedTokenMatcher _rawMatcher, _normalizedMatcher;
    private readonly ByteLevelPreTokenizer? _preTokenizer;
    private readonly BpeModel _model;
    private readonly (string Token, int Id)? _cls, _sep;   // RobertaProcessing when set
    private readonly bool _trimOffsets, _trimAddPrefixSpace;
    private readonly bool _hasPostProcessor;
    private readonly ByteLevelDecoder? _byteLevelDecoder;
    private readonly BpeDecoder? _bpeDecoder;

    public BpeModel Model => _model;
    public int PadTokenId { get; }
    public string PadToken { get; }

    [ThreadStatic] private static Scratch? t_scratch;

    private ByteLevelBpePipeline(Added[] added, ByteLevelPreTokenizer? pre, BpeModel model, (string, int)? cls, (string, int)? sep,
        bool hasPostProcessor, bool trimOffsets, bool trimAddPrefixSpace, ByteLevelDecoder? byteLevelDecoder, BpeDecoder? bpeDecoder)
    {
        _added = added;
        foreach (var a in added) _addedById[a.Id] = a;
        _rawMatcher = new AddedTokenMatcher(added.Where(a => !a.Normalized).Select(a => (a.Content, a.Id)));
        _normalizedMatcher = new AddedTokenMatcher(added.Where(a => a.Normalized).Select(a => (a.Content, a.Id)));
        _preTokenizer = pre;
        _model = model;
        _cls = cls; _sep = sep;
        _hasPostProcessor = hasPostProcessor;
        _trimOffsets = trimOffsets; _trimAddPrefixSpace = trimAddPrefixSpace;
        _byteLevelDecoder = byteLevelDecoder; _bpeDecoder = bpeDecoder;
        var pad = added.FirstOrDefault(a => a.Content == "<pad>");
        PadTokenId = pad?.Id ?? model.TokenToId("<pad>") ?? -1;
        PadToken = "<pad>";
    }

    public int? TokenToId(string token)
    {
        foreach (var a in _added) if (a.Content == token) return a.Id;
        return _model.TokenToId(token);
    }

    public string? IdToToken(int id) => _addedById.TryGetValue(id, out var a) ? a.Content : _model.IdToToken(id);

    // ---- loading ----

    public static ByteLevelBpePipeline FromTokenizerJson(string path)
    {
        if (!File.Exists(path)) throw new TokenizerException($"{path}: file not found");
        using var doc = JsonFields.Parse(path);
        var f = new JsonFields(path);
        var root = f.Object(doc.RootElement, "(root)");
        f.RejectUnknown(root, "", "version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer", "post_processor", "decoder", "model");
        if (f.TryGet(root, "normalizer", out _)) throw f.Error("normalizer", "is not supported with byte-level BPE yet (only null)");
        if (f.TryGet(root, "truncation", out _)) throw f.Error("truncation", "is not supported yet (only null; pass EncodeOptions)");
        if (f.TryGet(root, "padding", out _)) throw f.Error("padding", "is not supported yet (only null; pass EncodeOptions)");
        if (!f.TryGet(root, "model", out var modelJson)) throw f.Error("model", "is missing");
        f.Object(modelJson, "model");
        string? type = f.String(modelJson, "model", "type");
        if (type is not null && type != "BPE") throw f.Error("model.type", $"'{type}' is not supported here (BPE)");
        var model = BpeModelJson.Read(f, modelJson, "model");

        ByteLevelPreTokenizer? pre = null;
        if (f.TryGet(root, "pre_tokenizer", out var p))
        {
            f.Object(p, "pre_tokenizer");
            string? pt = f.String(p, "pre_tokenizer", "type");
            if (pt != "ByteLevel") throw f.Error("pre_tokenizer.type", $"'{pt}' is not supported here (ByteLevel)");
            pre = ReadByteLevel(f, p, "pre_tokenizer");
        }

        (string, int)? cls = null, sep = null;
        bool hasPost = false, trim = false, trimPrefix = false;
        if (f.TryGet(root, "post_processor", out var post))
        {
            f.Object(post, "post_processor");
            hasPost = true;
            string? t = f.String(post, "post_processor", "type");
            if (t == "RobertaProcessing")
            {
                f.RejectUnknown(post, "post_processor", "type", "sep", "cls", "trim_offsets", "add_prefix_space");
                sep = ReadSpecial(f, post, "post_processor", "sep");
                cls = ReadSpecial(f, post, "post_processor", "cls");
                trim = f.Bool(post, "post_processor", "trim_offsets") ?? true;
                trimPrefix = f.Bool(post, "post_processor", "add_prefix_space") ?? true;
            }
            else if (t == "ByteLevel")
            {
                var bl = ReadByteLevel(f, post, "post_processor");
                trim = bl.TrimOffsets; trimPrefix = bl.AddPrefixSpace;
            }
            else throw f.Error("post_processor.type", $"'{t}' is not supported here (RobertaProcessing, ByteLevel)");
        }

        ByteLevelDecoder? bld = null;
        BpeDecoder? bpd = null;
        if (f.TryGet(root, "decoder", out var d))
        {
            f.Object(d, "decoder");
            string? t = f.String(d, "decoder", "type");
            if (t == "ByteLevel") { ReadByteLevel(f, d, "decoder"); bld = new ByteLevelDecoder(); }
            else if (t == "BPEDecoder")
            {
                f.RejectUnknown(d, "decoder", "type", "suffix");
                bpd = new BpeDecoder(f.String(d, "decoder", "suffix") ?? "</w>");
            }
            else throw f.Error("decoder.type", $"'{t}' is not supported here (ByteLevel, BPEDecoder)");
        }

        var added = new List<Added>();
        if (f.TryGet(root, "added_tokens", out var at))
        {
            if (at.ValueKind != JsonValueKind.Array) throw f.Error("added_tokens", $"must be an array, got {JsonFields.Describe(at)}");
            int i = 0;
            foreach (var e in at.EnumerateArray())
            {
                string path0 = $"added_tokens[{i++}]";
                f.Object(e, path0);
                f.RejectUnknown(e, path0, "id", "content", "single_word", "lstrip", "rstrip", "normalized", "special");
                int id = f.Int(e, path0, "id") ?? throw f.Error($"{path0}.id", "is missing");
                string content = f.String(e, path0, "content") ?? throw f.Error($"{path0}.content", "is missing");
                if (f.Bool(e, path0, "single_word") == true)
                    throw f.Error($"{path0}.single_word", "true is not supported yet");
                added.Add(new Added(content, id, f.Bool(e, path0, "special") ?? false, f.Bool(e, path0, "normalized") ?? false,
                    f.Bool(e, path0, "lstrip") ?? false, f.Bool(e, path0, "rstrip") ?? false));
            }
        }
        return new ByteLevelBpePipeline(added.ToArray(), pre, model, cls, sep, hasPost, trim, trimPrefix, bld, bpd);
    }

    private static ByteLevelPreTokenizer ReadByteLevel(JsonFields f, JsonElement e, string path)
    {
        f.RejectUnknown(e, path, "type", "add_prefix_space", "trim_offsets", "use_regex");
        return new ByteLevelPreTokenizer(f.Bool(e, path, "add_prefix_space") ?? true, f.Bool(e, path, "trim_offsets") ?? true,
            f.Bool(e, path, "use_regex") ?? true);
    }

    private static (string, int) ReadSpecial(JsonFields f, JsonElement post, string path, string name)
    {
        string at = JsonFields.Join(path, name);
        if (!f.TryGet(post, name, out var v)) throw f.Error(at, "is missing");
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 2 || v[0].ValueKind != JsonValueKind.String)
            throw f.Error(at, $"must be [\"token\", id], got {JsonFields.Describe(v)}");
        int id = f.Int(v[1], $"{at}[1]");
        if (id < 0) throw f.Error($"{at}[1]", $"must not be negative, got {id}");
        return (v[0].GetString()!, id);
    }

    // ---- encoding ----

    private sealed class Seq
    {
        public int[] Ids = new int[64], Start = new int[64], End = new int[64], Word = new int[64];
        public string?[] Texts = new string?[64];
        public int Count;
        public void Clear() { Array.Clear(Texts, 0, Count); Count = 0; }
        public void Add(int id, int start, int end, int word, string? text)
        {
            if (Count == Ids.Length)
            {
                int n = Count * 2;
                Array.Resize(ref Ids, n); Array.Resize(ref Start, n); Array.Resize(ref End, n);
                Array.Resize(ref Word, n); Array.Resize(ref Texts, n);
            }
            Ids[Count] = id; Start[Count] = start; End[Count] = end; Word[Count] = word; Texts[Count] = text; Count++;
        }
    }

    private sealed class Pieces
    {
        public char[] Chars = new char[256];
        public int[] Start = new int[256], End = new int[256];
        public int Length;
        public int[] PieceStart = new int[32], PieceEnd = new int[32];
        public int Count;
        private int _open;
        public void Clear() { Length = 0; Count = 0; }
        public void BeginPiece(int origin) => _open = Length;
        public void Append(char c, int start, int end)
        {
            if (Length == Chars.Length)
            {
                int n = Length * 2;
                Array.Resize(ref Chars, n); Array.Resize(ref Start, n); Array.Resize(ref End, n);
            }
            Chars[Length] = c; Start[Length] = start; End[Length] = end; Length++;
        }
        public void EndPiece()
        {
            if (Length == _open) return;
            if (Count == PieceStart.Length) { Array.Resize(ref PieceStart, Count * 2); Array.Resize(ref PieceEnd, Count * 2); }
            PieceStart[Count] = _open; PieceEnd[Count] = Length; Count++;
        }
    }

    private readonly struct PiecesWriter(Pieces pieces) : IPieceWriter
    {
        public void BeginPiece(int origin) => pieces.BeginPiece(origin);
        public void Append(char c, int start, int end) => pieces.Append(c, start, end);
        public void EndPiece() => pieces.EndPiece();
    }

    private sealed class Scratch
    {
        public Seq A = new(), B = new();
        public Pieces Pieces = new();
        public List<(int, int, int)> Raw = new(), Normalized = new();
        public int[] Start = new int[256], End = new int[256];
    }

    /// <summary>Maps a model token's [start, end) in piece chars to the original span and appends it to the sequence.</summary>
    private readonly ref struct SequenceSink(Seq seq, Pieces pieces, int pieceStart, int word) : IPieceSink
    {
        public int Count => seq.Count;
        public void Add(int id, int start, int end) =>
            seq.Add(id, pieces.Start[pieceStart + start], pieces.End[pieceStart + end - 1], word, null);
        public void Truncate(int count) => seq.Count = count;
    }

    public Encoding Encode(string text, string? pair = null, EncodeOptions? options = null, bool truncateLeft = false, bool padLeft = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        options ??= EncodeOptions.Default;
        var s = t_scratch ??= new Scratch();
        EncodeSequence(text, s.A, s);
        if (pair is not null) EncodeSequence(pair, s.B, s);
        Seq? b = pair is null ? null : s.B;
        int nA = s.A.Count, nB = b?.Count ?? 0;
        var (keepA, keepB) = Truncate(nA, nB, b is not null, options);
        int firstA = truncateLeft ? nA - keepA : 0, firstB = truncateLeft ? nB - keepB : 0;

        bool roberta = _cls is not null;
        bool specials = options.AddSpecialTokens && roberta;
        int length = keepA + keepB + (specials ? (b is null ? 2 : 4) : 0);
        int padTo = length;
        if (options.Padding == PaddingStrategy.MaxLength)
            padTo = Math.Max(length, options.MaxLength ?? throw new TokenizerException("padding to max length needs EncodeOptions.MaxLength"));
        if (options.Padding != PaddingStrategy.None && options.PadToMultipleOf is > 0 and var m && padTo % m != 0) padTo += m - padTo % m;
        if (padTo > length && PadTokenId < 0) throw new TokenizerException("padding needs a pad token, and this tokenizer has none");

        var e = new Encoding(padTo);
        int n = padLeft ? padTo - length : 0;
        if (padTo > length)
        {
            int from = padLeft ? 0 : length;
            for (int i = 0; i < padTo - length; i++)
            {
                int k = from + i;
                e.Ids[k] = PadTokenId; e.Tokens[k] = PadToken; e.SpecialTokensMask[k] = 1; e.SequenceIds[k] = -1;
            }
        }
        if (specials) AddSpecial(e, ref n, _cls!.Value);
        WriteSequence(e, ref n, s.A, firstA, keepA, text, 0, 0);
        if (specials) AddSpecial(e, ref n, _sep!.Value);
        if (b is not null)
        {
            if (specials) AddSpecial(e, ref n, _sep!.Value);
            WriteSequence(e, ref n, b, firstB, keepB, pair!, 1, roberta ? 0 : 1);
            if (specials) AddSpecial(e, ref n, _sep!.Value);
        }
        e.WasTruncated = keepA < nA || keepB < nB;
        return e;
    }

    private static void AddSpecial(Encoding e, ref int n, (string Token, int Id) special)
    {
        e.Ids[n] = special.Id; e.Tokens[n] = special.Token; e.AttentionMask[n] = 1; e.SpecialTokensMask[n] = 1;
        e.SequenceIds[n] = -1; n++;
    }

    private void WriteSequence(Encoding e, ref int n, Seq seq, int first, int count, string original, int sequenceId, int typeId)
    {
        for (int i = 0; i < count; i++)
        {
            int k = first + i;
            string token = seq.Texts[k] ?? _model.IdToToken(seq.Ids[k]) ?? "";
            int start = seq.Start[k], end = seq.End[k];
            if (_trimOffsets) ByteLevelOffsets.Trim(original, token, i == 0, _trimAddPrefixSpace, ref start, ref end);
            e.Ids[n] = seq.Ids[k]; e.Tokens[n] = token; e.TypeIds[n] = typeId; e.AttentionMask[n] = 1;
            e.WordIds[n] = seq.Word[k]; e.Offsets[n] = (start, end); e.SequenceIds[n] = sequenceId;
            n++;
        }
    }

    /// <summary>The Rust library's post_process truncation: counts kept of A and B.</summary>
    private (int A, int B) Truncate(int nA, int nB, bool isPair, EncodeOptions options)
    {
        if (options.Truncation is not { } strategy) return (nA, nB);
        int max = options.MaxLength ?? throw new TokenizerException("truncation needs EncodeOptions.MaxLength");
        if (max < 0) throw new TokenizerException($"EncodeOptions.MaxLength must not be negative, got {max}");
        int added = options.AddSpecialTokens && _cls is not null ? (isPair ? 4 : 2) : 0;
        // Rust subtracts in usize: below the special-token count it wraps around, so nothing is truncated.
        if (max < added) return (nA, nB);
        max -= added;
        if (max == 0) return (0, 0);
        int total = nA + nB;
        if (total <= max) return (nA, nB);
        int toRemove = total - max;
        switch (strategy)
        {
            case TruncationStrategy.LongestFirst when isPair:
            {
                int n1 = nA, n2 = nB;
                bool swap = n1 > n2;
                if (swap) (n1, n2) = (n2, n1);
                n2 = n1 > max ? n1 : Math.Max(n1, max - n1);
                if (n1 + n2 > max) { n1 = max / 2; n2 = n1 + max % 2; }
                if (swap) (n1, n2) = (n2, n1);
                return (Math.Min(nA, n1), Math.Min(nB, n2));
            }
            case TruncationStrategy.LongestFirst:
                return (total - toRemove, nB);
            case TruncationStrategy.OnlyFirst:
                if (nA <= toRemove) throw new TokenizerException(TooShort("only_first", nA, toRemove));
                return (nA - toRemove, nB);
            default:
                if (!isPair) throw new TokenizerException("Truncation error: Second sequence not provided (only_second needs a text pair)");
                if (nB <= toRemove) throw new TokenizerException(TooShort("only_second", nB, toRemove));
                return (nA, nB - toRemove);
        }
    }

    private static string TooShort(string strategy, int n, int toRemove) =>
        $"Truncation error: Sequence to truncate too short to respect the provided max_length ({strategy}: {n} tokens, {toRemove} to remove)";

    private void EncodeSequence(string text, Seq seq, Scratch s)
    {
        seq.Clear();
        int word = 0;
        FindMatches(text, 0, text.Length, _rawMatcher, s.Raw);
        foreach (var (a, b, id) in s.Raw)
        {
            if (id >= 0) { seq.Add(id, a, b, word++, TokenText(text, a, b, id)); continue; }
            FindMatches(text, a, b, _normalizedMatcher, s.Normalized);
            foreach (var (c, d, id2) in s.Normalized)
            {
                if (id2 >= 0) seq.Add(id2, c, d, word++, TokenText(text, c, d, id2));
                else EncodeSplit(text, c, d, seq, s, ref word);
            }
        }
    }

    /// <summary>An added token's text is what it matched (with any lstrip/rstrip whitespace), as in Rust.</summary>
    private string TokenText(string text, int start, int end, int id)
    {
        string content = _addedById[id].Content;
        return end - start == content.Length ? content : text[start..end];
    }

    private static bool IsWhitespace(char c) => (UnicodeTables.GetFlags(c) & CharFlags.Whitespace) != 0;

    /// <summary>Rust AddedVocabulary::find_matches on text[from..to): the splits, with id -1 for text between tokens.</summary>
    private void FindMatches(string text, int from, int to, AddedTokenMatcher matcher, List<(int, int, int)> output)
    {
        output.Clear();
        if (from == to) return;
        var sentence = text.AsSpan(from, to - from);
        int startOffset = 0, pos = 0;
        while (pos < sentence.Length && matcher.FindNext(sentence, pos, out int index, out int length, out int id))
        {
            int start = index, stop = index + length;
            var token = _addedById[id];
            if (token.LStrip)
            {
                int newStart = start;
                while (newStart > 0 && IsWhitespace(sentence[newStart - 1])) newStart--;
                start = Math.Max(newStart, startOffset);
            }
            if (token.RStrip) while (stop < sentence.Length && IsWhitespace(sentence[stop])) stop++;
            if (startOffset < start) output.Add((from + startOffset, from + start, -1));
            output.Add((from + start, from + stop, id));
            startOffset = stop;
            pos = index + length;
        }
        if (startOffset < sentence.Length) output.Add((from + startOffset, to, -1));
    }

    private void EncodeSplit(string text, int from, int to, Seq seq, Scratch s, ref int word)
    {
        var pieces = s.Pieces;
        pieces.Clear();
        int n = to - from;
        if (s.Start.Length < n) { s.Start = new int[Math.Max(n, 2 * s.Start.Length)]; s.End = new int[s.Start.Length]; }
        for (int i = 0; i < n; i++) { s.Start[i] = from + i; s.End[i] = from + i + 1; }
        var writer = new PiecesWriter(pieces);
        if (_preTokenizer is null)
        {
            writer.BeginPiece(from);
            for (int i = 0; i < n; i++) writer.Append(text[from + i], from + i, from + i + 1);
            writer.EndPiece();
        }
        else _preTokenizer.PreTokenize(text.AsSpan(from, n), s.Start.AsSpan(0, n), s.End.AsSpan(0, n), ref writer);
        for (int p = 0; p < pieces.Count; p++)
        {
            int ps = pieces.PieceStart[p];
            var sink = new SequenceSink(seq, pieces, ps, word++);
            _model.Tokenize(pieces.Chars.AsSpan(ps, pieces.PieceEnd[p] - ps), ref sink);
        }
    }

    // ---- decoding ----

    /// <summary>Ids back to text: added tokens and vocabulary entries (special ones skipped), then the decoder.</summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = true)
    {
        var tokens = new List<string>(ids.Length);
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if (_addedById.TryGetValue(id, out var a))
            {
                if (!(skipSpecialTokens && a.Special)) tokens.Add(a.Content);
                continue;
            }
            tokens.Add(_model.IdToToken(id) ?? throw new TokenizerException($"cannot decode id {id} at position {i}: not in the vocabulary"));
        }
        if (_byteLevelDecoder is not null) { _byteLevelDecoder.DecodeChain(tokens); return string.Concat(tokens); }
        if (_bpeDecoder is not null) { _bpeDecoder.DecodeChain(tokens); return string.Concat(tokens); }
        return string.Join(' ', tokens);
    }
}
