using BertSharp.Engine.Kernels;

namespace BertSharp.Engine.Model;

/// <summary>
/// Everything one forward pass needs besides the weights: the packed layout of the batch and scratch buffers
/// (N = TotalTokens): Hidden, Attention, Context: [N, hidden]; Qkv: [N, 3·hidden]; Intermediate: [N, intermediate];
/// one attention scratch per kernel thread. Each thread keeps one workspace and reuses it while it is big enough,
/// so a steady stream of same-sized calls allocates nothing.
/// </summary>
internal sealed class Workspace : IDisposable
{
    [ThreadStatic] private static Workspace? t_cached;

    public PackedSequences Packed { get; } = new();
    public float[] Hidden { get; private set; } = [];
    public float[] Qkv { get; private set; } = [];
    public float[] Context { get; private set; } = [];
    public float[] Attention { get; private set; } = [];
    public float[] Intermediate { get; private set; } = [];
    /// <summary>Reused by the attention kernel of each layer (see BertSelfAttention).</summary>
    internal object? AttentionWork { get; set; }
    private float[] _attentionScratch = [];
    private int _scratchPerThread;

    private Workspace() { }


    /// <summary>This thread's workspace, grown to fit the batch; give it back with Dispose.</summary>
    public static Workspace Rent(BertBatch batch, int hidden, int intermediate, int headDim)
    {
        Workspace ws = t_cached ?? new Workspace();
        t_cached = null;                       // a nested call on this thread gets its own
        ws.Packed.Reset(batch);
        int tokens = ws.Packed.TotalTokens, maxLength = ws.Packed.MaxLength;
        int th = Math.Max(1, tokens * hidden);
        if (ws.Hidden.Length < th) ws.Hidden = new float[th];
        if (ws.Context.Length < th) ws.Context = new float[th];
        if (ws.Attention.Length < th) ws.Attention = new float[th];
        if (ws.Qkv.Length < 3 * th) ws.Qkv = new float[3 * th];
        int inter = Math.Max(1, tokens * intermediate);
        if (ws.Intermediate.Length < inter) ws.Intermediate = new float[inter];
        // Per thread: the packed operands and one query block of one (row, head).
        ws._scratchPerThread = Math.Max(1, AttentionHead.ScratchFloats(maxLength, headDim));
        int scratch = ws._scratchPerThread * KernelParallel.ProcessorCount;
        if (ws._attentionScratch.Length < scratch) ws._attentionScratch = new float[scratch];
        return ws;
    }

    /// <summary>Scratch of kernel participant <paramref name="index"/> (0 ≤ index &lt; ProcessorCount).</summary>
    public Span<float> AttentionScratch(int index) => _attentionScratch.AsSpan(index * _scratchPerThread, _scratchPerThread);

    public void Dispose()
    {
        long floats = (long)Hidden.Length + Qkv.Length + Context.Length + Attention.Length + Intermediate.Length + _attentionScratch.Length;
        if (floats * sizeof(float) <= BertModel.WorkspaceCacheLimitBytes) t_cached = this;
    }
}
