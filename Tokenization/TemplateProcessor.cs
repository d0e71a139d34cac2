using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization;

/// <summary>
/// Hugging Face's TemplateProcessing post-processor: lays out special tokens and sequences, e.g.
/// single = [CLS]:0 $A:0 [SEP]:0, pair = [CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1 (the number is the type id).
/// Also builds the final <see cref="Encoding"/> arrays (with room for right padding).
/// </summary>
internal sealed class TemplateProcessor : IPostProcessor
{
    /// <summary>One template element: a special token (one or more ids) or sequence A (0) / B (1).</summary>
    internal sealed record Piece(int Sequence, int[] SpecialIds, string[] SpecialTokens, int TypeId)
    {
        public bool IsSequence => Sequence >= 0;
        public static Piece Special(int[] ids, string[] tokens, int typeId) => new(-1, ids, tokens, typeId);
        public static Piece Of(int sequence, int typeId) => new(sequence, [], [], typeId);
    }

    // Arrays, not lists: foreach over them allocates no enumerator.
    public Piece[] Single { get; }
    public Piece[] Pair { get; }
    private readonly int _addedSingle, _addedPair;

    /// <summary>
    /// True for Hugging Face's TemplateProcessing, whose sequences keep the template's type ids even without special
    /// tokens; false for BertProcessing and no post-processor, where A is type 0 and B type 1 without special tokens.
    /// </summary>
    public bool TemplateTypeIds { get; init; }

    public TemplateProcessor(IReadOnlyList<Piece> single, IReadOnlyList<Piece> pair)
    {
        Single = single.ToArray();
        Pair = pair.ToArray();
        _addedSingle = Single.Sum(p => p.SpecialIds.Length);
        _addedPair = Pair.Sum(p => p.SpecialIds.Length);
    }

    /// <summary>No special tokens: A (type 0) then B (type 1).</summary>
    public static readonly TemplateProcessor None = new([Piece.Of(0, 0)], [Piece.Of(0, 0), Piece.Of(1, 1)]);

    /// <summary>Number of special tokens the template adds (what truncation must leave room for).</summary>
    public int AddedTokens(bool isPair) => isPair ? _addedPair : _addedSingle;

    /// <summary>
    /// Builds the encoding of sequence a (its first <paramref name="lengthA"/> tokens) and optional sequence b,
    /// sized to at least <paramref name="padTo"/> tokens (padding filled with the pad token, mask 0).
    /// </summary>
    public Encoding Build(TokenBuffer a, int lengthA, TokenBuffer? b, int lengthB, bool addSpecialTokens, string[] idToToken, int padTo, in PadInfo pad) =>
        Build(a, 0, lengthA, b, 0, lengthB, addSpecialTokens, idToToken, padTo, false, pad);

    /// <summary>
    /// Builds the encoding of tokens [startA, startA + lengthA) of a and optional [startB, startB + lengthB) of b,
    /// sized to at least <paramref name="padTo"/> tokens, padding on the left when <paramref name="padLeft"/>.
    /// </summary>
    public Encoding Build(TokenBuffer a, int startA, int lengthA, TokenBuffer? b, int startB, int lengthB, bool addSpecialTokens,
        string[] idToToken, int padTo, bool padLeft, in PadInfo pad)
    {
        var template = b is null ? Single : Pair;
        int length = 0;
        foreach (var p in template)
        {
            if (p.IsSequence) length += p.Sequence == 0 ? lengthA : lengthB;
            else if (addSpecialTokens) length += p.SpecialIds.Length;
        }
        var encoding = new Encoding(Math.Max(length, padTo));
        int padding = encoding.Length - length;
        int n = padLeft ? padding : 0;
        foreach (var p in template)
        {
            if (p.IsSequence)
            {
                TokenBuffer seq = p.Sequence == 0 ? a : b!;
                int count = p.Sequence == 0 ? lengthA : lengthB;
                int first = p.Sequence == 0 ? startA : startB;
                // Without special tokens BertProcessing's type ids do not apply: A is 0, B is 1 (as in the Rust library).
                int typeId = addSpecialTokens || TemplateTypeIds ? p.TypeId : p.Sequence;
                // Whole-span copies and fills (vectorized) rather than one loop writing eight arrays.
                seq.Ids.AsSpan(first, count).CopyTo(encoding.Ids.AsSpan(n));
                encoding.TypeIds.AsSpan(n, count).Fill(typeId);
                encoding.AttentionMask.AsSpan(n, count).Fill(1);
                encoding.SequenceIds.AsSpan(n, count).Fill(p.Sequence);
                string[] tokens = encoding.Tokens;
                int?[] wordIds = encoding.WordIds;
                var offsets = encoding.Offsets;
                string?[] texts = seq.Texts;
                for (int i = 0; i < count; i++)
                {
                    int k = first + i;
                    tokens[n + i] = texts[k] ?? idToToken[seq.Ids[k]];
                    wordIds[n + i] = seq.WordIds[k];
                    offsets[n + i] = (seq.Start[k], seq.End[k]);
                }
                n += count;
            }
            else if (addSpecialTokens)
            {
                for (int i = 0; i < p.SpecialIds.Length; i++, n++)
                {
                    encoding.Ids[n] = p.SpecialIds[i];
                    encoding.Tokens[n] = p.SpecialTokens[i];
                    encoding.TypeIds[n] = p.TypeId;
                    encoding.AttentionMask[n] = 1;
                    encoding.SpecialTokensMask[n] = 1;
                    encoding.SequenceIds[n] = -1;
                }
            }
        }
        int padFrom = padLeft ? 0 : length, padEnd = padLeft ? padding : encoding.Length;
        for (n = padFrom; n < padEnd; n++)
        {
            encoding.Ids[n] = pad.Id;
            encoding.Tokens[n] = pad.Token;
            encoding.TypeIds[n] = pad.TypeId;
            encoding.SpecialTokensMask[n] = 1;
            encoding.SequenceIds[n] = -1;
        }
        return encoding;
    }

    /// <summary>Writes only the ids (no allocation); returns the count, or -1 when <paramref name="destination"/> is too small.</summary>
    public int WriteIds(TokenBuffer a, int lengthA, bool addSpecialTokens, Span<int> destination)
    {
        int n = 0;
        foreach (var p in Single)
        {
            if (p.IsSequence)
            {
                if (n + lengthA > destination.Length) return -1;
                a.Ids.AsSpan(0, lengthA).CopyTo(destination[n..]);
                n += lengthA;
            }
            else if (addSpecialTokens)
            {
                if (n + p.SpecialIds.Length > destination.Length) return -1;
                p.SpecialIds.CopyTo(destination[n..]);
                n += p.SpecialIds.Length;
            }
        }
        return n;
    }
}
