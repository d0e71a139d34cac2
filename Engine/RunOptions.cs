namespace BertSharp.Engine;

/// <summary>
/// What a forward pass returns beyond last_hidden_state and pooler_output, how many threads it may use, and the token
/// that cancels it.
/// </summary>
public sealed class RunOptions
{
    /// <summary>Return every layer's hidden state (HF output_hidden_states): L+1 tensors, 0 = embedding output.</summary>
    public bool OutputHiddenStates { get; init; }
    /// <summary>Return every layer's attention probabilities (HF output_attentions): L tensors [B, heads, T, T].</summary>
    public bool OutputAttentions { get; init; }
    /// <summary>Thread budget for this call; ≤ 0 = all cores, 1 = the calling thread only.</summary>
    public int MaxThreads { get; init; }
    /// <summary>
    /// Checked before the embeddings, before every encoder layer, between windows/batches and before task heads:
    /// a cancelled call throws <see cref="OperationCanceledException"/> within one layer's time and leaves the model
    /// (and this thread's scratch workspace) ready for the next call. A layer that has started runs to its end.
    /// </summary>
    public CancellationToken CancellationToken { get; init; }

    public static RunOptions Default { get; } = new();
}
