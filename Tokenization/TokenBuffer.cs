namespace BertSharp.Tokenization;

/// <summary>
/// The tokens of one sequence before post-processing: id, original UTF-16 span [Start, End), word index.
/// Reusable scratch: <see cref="Clear"/> and refill; grows, never shrinks.
/// </summary>
internal sealed class TokenBuffer
{
    public int[] Ids = new int[64];
    public int[] Start = new int[64];
    public int[] End = new int[64];
    public int[] WordIds = new int[64];
    /// <summary>Token text when it differs from the vocabulary entry of the id (e.g. " &lt;mask&gt;" with lstrip, a
    /// Unigram unknown run); null otherwise, so the steady state allocates nothing.</summary>
    public string?[] Texts = new string?[64];
    public int Count;
    private bool _hasTexts;

    public void Clear()
    {
        if (_hasTexts) { Array.Clear(Texts, 0, Count); _hasTexts = false; }
        Count = 0;
    }

    public void Add(int id, int start, int end, int wordId)
    {
        if (Count == Ids.Length) Grow();
        Ids[Count] = id; Start[Count] = start; End[Count] = end; WordIds[Count] = wordId;
        if (_hasTexts) Texts[Count] = null;
        Count++;
    }

    public void Add(int id, int start, int end, int wordId, string? text)
    {
        Add(id, start, end, wordId);
        if (text is not null) { Texts[Count - 1] = text; _hasTexts = true; }
    }

    private void Grow()
    {
        int n = Ids.Length * 2;
        Array.Resize(ref Ids, n);
        Array.Resize(ref Start, n);
        Array.Resize(ref End, n);
        Array.Resize(ref WordIds, n);
        Array.Resize(ref Texts, n);
    }
}
