using BertSharp.Engine.Kernels;

namespace BertSharp.Engine.Model;

/// <summary>
/// The scratch of one forward pass: the packed layout of the batch and (N = TotalTokens) Hidden: [N, hidden], the
/// hidden state carried from layer to layer; Qkv: [N, 3·hidden]; Context: [N, hidden], the heads' outputs side by side;
/// AttentionOutput: [N, hidden], LayerNorm(x + attention); Intermediate: [N, intermediate]; Embedded: [N, embedding_size],
/// the embeddings before ELECTRA's projection (empty for every other model); one attention scratch per
/// kernel thread slot. Each thread keeps one workspace and reuses it while it is big enough,
/// so a steady stream of same-sized calls allocates nothing.
/// </summary>
internal sealed class Workspace : IDisposable
{
    [ThreadStatic] private static Workspace? t_cached;

    public PackedSequences Packed { get; } = new();
    public float[] Hidden { get; private set; } = [];
    public float[] Qkv { get; private set; } = [];
    public float[] Context { get; private set; } = [];
    public float[] AttentionOutput { get; private set; } = [];
    public float[] Intermediate { get; private set; } = [];
    public float[] Embedded { get; private set; } = [];
    private float[] _attentionScratch = [];
    private int _scratchPerThread;

    private Workspace() { }

    /// <summary>This thread's workspace, grown to fit the batch; give it back with Dispose.</summary>
    /// <param name="embeddingWidth">embedding_size when the embeddings are projected to hidden (ELECTRA), else 0</param>
    public static Workspace Rent(BertBatch batch, int hidden, int intermediate, int headDim, int embeddingWidth = 0)
    {
        Workspace ws = t_cached ?? new Workspace();
        t_cached = null;                       // a nested call on this thread gets its own
        return ws.Fit(batch, hidden, intermediate, headDim, embeddingWidth);
    }

    /// <summary>A workspace of its own, never cached by a thread (for a one-off use such as calibration: do not Dispose it).</summary>
    public static Workspace CreateUncached() => new();

    /// <summary>Lays out <paramref name="batch"/> and grows the buffers to fit it.</summary>
    public Workspace Fit(BertBatch batch, int hidden, int intermediate, int headDim, int embeddingWidth = 0)
    {
        Workspace ws = this;
        ws.Packed.Reset(batch);
        int tokens = ws.Packed.TotalTokens, maxLength = ws.Packed.MaxLength;
        int th = Math.Max(1, tokens * hidden);
        if (ws.Hidden.Length < th) ws.Hidden = new float[th];
        if (ws.Context.Length < th) ws.Context = new float[th];
        if (ws.AttentionOutput.Length < th) ws.AttentionOutput = new float[th];
        if (ws.Qkv.Length < 3 * th) ws.Qkv = new float[3 * th];
        int inter = Math.Max(1, tokens * intermediate);
        if (ws.Intermediate.Length < inter) ws.Intermediate = new float[inter];
        if (ws.Embedded.Length < tokens * embeddingWidth) ws.Embedded = new float[tokens * embeddingWidth];
        // Per thread: the packed operands and one query block of one (row, head).
        ws._scratchPerThread = Math.Max(1, AttentionHead.ScratchFloats(maxLength, headDim));
        int scratch = ws._scratchPerThread * KernelParallel.ProcessorCount;
        if (ws._attentionScratch.Length < scratch) ws._attentionScratch = new float[scratch];
        return ws;
    }

    /// <summary>Scratch of kernel thread slot <paramref name="slot"/> (0 ≤ slot &lt; ProcessorCount).</summary>
    public Span<float> AttentionScratch(int slot) => _attentionScratch.AsSpan(slot * _scratchPerThread, _scratchPerThread);

    public void Dispose()
    {
        long floats = (long)Hidden.Length + Qkv.Length + Context.Length + AttentionOutput.Length + Intermediate.Length + Embedded.Length + _attentionScratch.Length;
        if (floats * sizeof(float) <= BertModel.WorkspaceCacheLimitBytes) t_cached = this;
    }
}
