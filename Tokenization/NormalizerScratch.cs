namespace BertSharp.Tokenization;

/// <summary>Reusable scratch buffers for the normalizer's Unicode path.</summary>
internal sealed class NormalizerScratch
{
    public readonly CodePointBuffer A = new();
    public readonly CodePointBuffer B = new();
    /// <summary>Per pending NFD part: combining class &lt;&lt; 1 | 1 if it is the first part of its source char.</summary>
    public readonly List<int> CombiningClasses = new();
    /// <summary>Spans of the chars NFD has read but whose first part is not yet out (a FIFO from <see cref="SourceHead"/>).</summary>
    public readonly CodePointBuffer Sources = new();
    public int SourceHead;
    /// <summary>Span of the last char taken from <see cref="Sources"/>: what a char that NFD adds is aligned to.</summary>
    public int LastStart, LastEnd;

    /// <summary>Takes the next source span (the alignment of an NFD output char that replaces a source char).</summary>
    public void TakeSource()
    {
        LastStart = Sources.Start[SourceHead];
        LastEnd = Sources.End[SourceHead];
        if (++SourceHead == Sources.Count) { SourceHead = 0; Sources.Clear(); }
    }
}
