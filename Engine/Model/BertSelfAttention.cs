using BertSharp.Engine.Kernels;
using BertSharp.Weights;

namespace BertSharp.Engine.Model;

/// <summary>
/// Multi-head scaled dot-product self-attention (HF BertSelfAttention).
/// The query, key and value projections run as one GEMM: their weights are stacked into [3·hidden, hidden], so
/// qkv: [TotalTokens, 3·hidden] holds q in columns [0, hidden), k in [hidden, 2·hidden), v in [2·hidden, 3·hidden).
/// Per row of the batch and head h, with q/k/v the head's [len, d] column slices (d = hidden / heads):
///   probs = softmax(q·kᵀ / √d  with masked keys at −∞),   context = probs · v.
/// Heads write their contexts side by side into context: [TotalTokens, hidden].
/// The [len, len] score matrix lives only in a per-thread scratch buffer unless probabilities are requested.
/// </summary>
public sealed class BertSelfAttention
{
    /// <summary>query, key and value stacked: W [3·hidden, hidden], b [3·hidden].</summary>
    public Linear QueryKeyValue { get; }
    public int NumHeads { get; }
    public int HeadDim { get; }

    internal BertSelfAttention(Checkpoint checkpoint, BertConfig config, string prefix)
    {
        int h = config.HiddenSize;
        NumHeads = config.NumAttentionHeads; HeadDim = config.HeadDim;
        var weight = new float[3 * h * h];
        var bias = new float[3 * h];
        string[] names = ["query", "key", "value"];
        for (int i = 0; i < 3; i++)
        {
            checkpoint.ReadFloat32(prefix + names[i] + ".weight", weight.AsSpan(i * h * h, h * h), h, h);
            checkpoint.ReadFloat32(prefix + names[i] + ".bias", bias.AsSpan(i * h, h), h);
        }
        QueryKeyValue = new Linear(weight, bias, 3 * h, h);
    }

    /// <param name="x">[TotalTokens, hidden] layer input</param>
    /// <param name="qkv">scratch [TotalTokens, 3·hidden]</param>
    /// <param name="context">output [TotalTokens, hidden]</param>
    /// <param name="probabilities">null, or [batch, heads, seq, seq] to receive the attention probabilities</param>
    internal void Forward(float[] x, float[] qkv, float[] context, BertBatch batch, float[]? probabilities, Workspace ws, int maxThreads)
    {
        PackedSequences packed = ws.Packed;
        QueryKeyValue.Forward(x, packed.TotalTokens, qkv, maxThreads);
        int jobs = packed.BatchSize * NumHeads;
        var work = ws.AttentionWork as HeadWork ?? new HeadWork();
        ws.AttentionWork = work;
        work.Setup(this, qkv, context, batch, probabilities, ws, jobs);
        KernelParallel.Run(work, Math.Min(KernelParallel.ResolveThreads(maxThreads), jobs));
        work.Clear();
    }

    /// <summary>One (row, head): context = softmax(q·kᵀ/√d, masked keys excluded) · v, see <see cref="AttentionHead"/>.</summary>
    private void Head(int jobIndex, float[] qkv, float[] context, BertBatch batch, PackedSequences packed, float[]? probabilities,
        Span<float> scratch)
    {
        int b = jobIndex / NumHeads, head = jobIndex % NumHeads;
        int len = packed.Lengths[b];
        if (len == 0) return;
        int hidden = NumHeads * HeadDim, d = HeadDim, stride = 3 * hidden;
        int row0 = packed.Offsets[b];
        ReadOnlySpan<float> q = qkv.AsSpan(row0 * stride + head * d);
        ReadOnlySpan<float> k = qkv.AsSpan(row0 * stride + hidden + head * d);
        ReadOnlySpan<float> v = qkv.AsSpan(row0 * stride + 2 * hidden + head * d);
        ReadOnlySpan<int> mask = batch.AttentionMask.AsSpan(b * batch.SequenceLength, len);
        int t = batch.SequenceLength;
        Span<float> probs = probabilities is null ? default : probabilities.AsSpan((b * NumHeads + head) * t * t, t * t);
        // HF scales after the product: (q·kᵀ) · 1/√d.
        AttentionHead.Compute(len, d, q, stride, k, stride, v, stride, 1f / MathF.Sqrt(d), mask,
            context.AsSpan(row0 * hidden + head * d), hidden, probs, t, scratch);
    }

    /// <summary>
    /// The (row, head) jobs of one call, claimed one at a time by every thread that joins (the caller and up to
    /// ProcessorCount − 1 pool threads). Each joining thread takes its own scratch slot; a job's numbers do not depend
    /// on which thread runs it. One instance per workspace, reused.
    /// </summary>
    private sealed class HeadWork : ParallelWork
    {
        private BertSelfAttention? _owner;
        private float[] _qkv = [], _context = [];
        private float[]? _probabilities;
        private BertBatch? _batch;
        private Workspace? _ws;
        private int _jobs, _next, _done, _slots;

        public void Setup(BertSelfAttention owner, float[] qkv, float[] context, BertBatch batch, float[]? probabilities, Workspace ws, int jobs)
        {
            _owner = owner; _qkv = qkv; _context = context; _batch = batch; _probabilities = probabilities; _ws = ws;
            _jobs = jobs; _next = 0; _done = 0; _slots = 0;
        }

        public void Clear() { _owner = null; _batch = null; _probabilities = null; _ws = null; }

        protected override bool IsComplete => Volatile.Read(ref _done) >= _jobs;

        protected override void RunPieces()
        {
            Span<float> scratch = _ws!.AttentionScratch(Interlocked.Increment(ref _slots) - 1);
            int job;
            while ((job = Interlocked.Increment(ref _next) - 1) < _jobs)
            {
                try { _owner!.Head(job, _qkv, _context, _batch!, _ws.Packed, _probabilities, scratch); }
                catch (Exception e) { Fail(e); }
                finally { Interlocked.Increment(ref _done); }
            }
        }
    }
}
