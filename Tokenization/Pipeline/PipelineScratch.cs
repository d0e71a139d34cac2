namespace BertSharp.Tokenization.Pipeline;

/// <summary>
/// Per-thread buffers for the composed pipeline (lives in <see cref="TokenizerWorkspace"/>): normalized text and its
/// scratch, the pieces before and after pre-tokenization, model output, and a stack of piece buffers that nested
/// components (Sequence) rent and return in LIFO order.
/// </summary>
internal sealed class PipelineScratch
{
    public NormalizedText Normalized = new();
    public NormalizedText NormalizedScratch = new();
    public PreTokenizedText Raw = new();
    public PreTokenizedText Normal = new();
    public PreTokenizedText Pieces = new();
    public ModelTokens ModelTokens = new();

    private readonly List<PreTokenizedText> _stack = new();
    private int _depth;

    /// <summary>A cleared piece buffer; give it back with <see cref="Return"/> (LIFO).</summary>
    public PreTokenizedText Rent()
    {
        if (_depth == _stack.Count) _stack.Add(new PreTokenizedText());
        var t = _stack[_depth++];
        t.Clear();
        return t;
    }

    public void Return(PreTokenizedText t)
    {
        if (_depth == 0 || _stack[_depth - 1] != t) throw new InvalidOperationException("PipelineScratch.Return out of order");
        _depth--;
    }

    /// <summary>Drops buffers that a huge input grew beyond <paramref name="keepAtMost"/> elements.</summary>
    public void TrimIfHuge(int keepAtMost)
    {
        if (Normalized.Chars.Length > keepAtMost) Normalized = new NormalizedText();
        if (NormalizedScratch.Chars.Length > keepAtMost) NormalizedScratch = new NormalizedText();
        if (Raw.Chars.Length > keepAtMost || Raw.Count > keepAtMost) Raw = new PreTokenizedText();
        if (Normal.Chars.Length > keepAtMost || Normal.Count > keepAtMost) Normal = new PreTokenizedText();
        if (Pieces.Chars.Length > keepAtMost || Pieces.Count > keepAtMost) Pieces = new PreTokenizedText();
        if (ModelTokens.Ids.Length > keepAtMost) ModelTokens = new ModelTokens();
        for (int i = 0; i < _stack.Count; i++)
            if (_stack[i].Chars.Length > keepAtMost || _stack[i].Count > keepAtMost) _stack[i] = new PreTokenizedText();
        _depth = 0;
    }
}
