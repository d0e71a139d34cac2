namespace BertSharp.Engine.Model;

/// <summary>
/// What one forward pass carries besides the weights: the batch (its attention mask), its packed layout and scratch
/// buffers (<see cref="Workspace"/>), the thread budget and the cancellation token. Passed by reference to every module.
/// </summary>
internal readonly struct ForwardContext(BertBatch batch, Workspace workspace, int maxThreads, CancellationToken cancellationToken)
{
    public BertBatch Batch { get; } = batch;
    public Workspace Workspace { get; } = workspace;
    /// <summary>Rows of the batch with padding squeezed out: [TotalTokens, ·] matrices.</summary>
    public PackedSequences Packed => Workspace.Packed;
    /// <summary>≤ 0 = all cores, 1 = the calling thread only.</summary>
    public int MaxThreads { get; } = maxThreads;
    public CancellationToken CancellationToken { get; } = cancellationToken;
}
