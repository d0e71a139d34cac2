namespace BertSharp.Tokenization;

/// <summary>
/// One encoded input (a text or a text pair), all arrays of <see cref="Length"/> tokens.
/// Offsets are UTF-16 code unit indices [Start, End) into the original string of the sequence the token came from
/// (the text or the pair); (0, 0) for special and padding tokens.
/// </summary>
public sealed class Encoding
{
    internal Encoding(int length)
    {
        Ids = new int[length];
        Tokens = new string[length];
        TypeIds = new int[length];
        AttentionMask = new int[length];
        SpecialTokensMask = new int[length];
        WordIds = new int?[length];
        Offsets = new (int, int)[length];
        SequenceIds = new int[length];
    }

    public int Length => Ids.Length;
    public int[] Ids { get; private set; }
    public string[] Tokens { get; private set; }
    public int[] TypeIds { get; private set; }
    public int[] AttentionMask { get; private set; }
    /// <summary>1 for tokens added by the post-processor template and for padding.</summary>
    public int[] SpecialTokensMask { get; private set; }
    /// <summary>Index of the word (pre-tokenizer split, counted per sequence) each token came from; null for special and padding tokens.</summary>
    public int?[] WordIds { get; private set; }
    /// <summary>UTF-16 [Start, End) into the original string of the token's sequence; (0,0) for special and padding tokens.</summary>
    public (int Start, int End)[] Offsets { get; private set; }
    /// <summary>0 for tokens of the text, 1 for tokens of the pair, -1 for special and padding tokens.</summary>
    public int[] SequenceIds { get; private set; }
    /// <summary>True when truncation removed tokens from this encoding.</summary>
    public bool WasTruncated { get; internal set; }

    /// <summary>Pads to <paramref name="length"/>, on the right or (<paramref name="left"/>) on the left; no-op when already that long or longer.</summary>
    internal void PadTo(int length, int padId, string padToken, int padTypeId, bool left = false)
    {
        int old = Length;
        if (length <= old) return;
        Ids = Grow(Ids, length, padId, left);
        Tokens = Grow(Tokens, length, padToken, left);
        TypeIds = Grow(TypeIds, length, padTypeId, left);
        AttentionMask = Grow(AttentionMask, length, 0, left);
        SpecialTokensMask = Grow(SpecialTokensMask, length, 1, left);
        WordIds = Grow(WordIds, length, null, left);
        Offsets = Grow(Offsets, length, (0, 0), left);
        SequenceIds = Grow(SequenceIds, length, -1, left);
    }

    private static T[] Grow<T>(T[] array, int length, T fill, bool left)
    {
        var grown = new T[length];
        int pad = length - array.Length;
        array.CopyTo(grown, left ? pad : 0);
        grown.AsSpan(left ? 0 : array.Length, pad).Fill(fill);
        return grown;
    }
}
