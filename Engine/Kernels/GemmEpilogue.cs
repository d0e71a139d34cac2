namespace BertSharp.Engine.Kernels;

/// <summary>
/// Extra element-wise work <see cref="Gemm.Linear{TEpilogue}"/> applies to y while a freshly finished piece is still in
/// L1 — e.g. an activation after the bias — saving a separate pass over [m, n].
/// </summary>
/// <remarks>
/// Called once per finished (row, up to 32 columns — 64 in <see cref="Int8Gemm"/>) segment, after bias and residual are added, from whichever worker
/// thread computed it: segments never overlap, but calls run concurrently, so implementations must be thread-safe
/// (pure functions of the segment are). Use a struct so the JIT specialises and inlines it.
/// </remarks>
public interface IGemmEpilogue
{
    /// <summary>segment = y[row, column .. column + segment.Length), final values; rewrite it in place.</summary>
    void Apply(Span<float> segment, int row, int column);
}

/// <summary>No extra work: the plain linear layer.</summary>
public readonly struct NoEpilogue : IGemmEpilogue
{
    public void Apply(Span<float> segment, int row, int column) { }
}
