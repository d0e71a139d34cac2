using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization;

/// <summary>
/// Per-thread scratch for encoding (normalized text, token buffers). Reused across calls so the steady state
/// allocates nothing but the returned <see cref="Encoding"/>; buffers grown by a huge input are dropped afterwards
/// (<see cref="TrimIfHuge"/>) so one 10 MB text does not pin its scratch to the thread forever.
/// </summary>
internal sealed class TokenizerWorkspace
{
    [ThreadStatic] private static TokenizerWorkspace? t_current;

    /// <summary>Scratch larger than this (in elements) is released after the call that grew it.</summary>
    private const int KeepAtMost = 1 << 20;

    public NormalizedText Normalized = new();
    public NormalizerScratch NormalizerScratch = new();
    public TokenBuffer A = new();
    public TokenBuffer B = new();
    /// <summary>ASCII fast path: the current word's normalized chars and their original positions.</summary>
    public char[] WordChars = new char[256];
    public int[] WordPositions = new int[256];
    /// <summary>Buffers of the composed pipeline (<see cref="PipelineTokenizer"/>).</summary>
    public PipelineScratch Pipeline = new();

    /// <summary>This thread's workspace. Not re-entrant: one encode at a time per thread.</summary>
    public static TokenizerWorkspace Current => t_current ??= new TokenizerWorkspace();

    public void TrimIfHuge()
    {
        if (Normalized.Chars.Length > KeepAtMost) Normalized = new NormalizedText();
        if (NormalizerScratch.A.CodePoints.Length > KeepAtMost || NormalizerScratch.B.CodePoints.Length > KeepAtMost)
            NormalizerScratch = new NormalizerScratch();
        if (A.Ids.Length > KeepAtMost) A = new TokenBuffer();
        if (B.Ids.Length > KeepAtMost) B = new TokenBuffer();
        if (WordChars.Length > KeepAtMost) { WordChars = new char[256]; WordPositions = new int[256]; }
        Pipeline.TrimIfHuge(KeepAtMost);
    }
}
