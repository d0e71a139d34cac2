using System.Diagnostics;
using BertSharp.Engine;

namespace BertSharp.Server;

/// <summary>
/// A unit of model work in the batcher's queue: its token cost for the batch budget, the client's connection (a job
/// whose client left is dropped before it runs), the route it serves (metrics) and when it was queued.
/// </summary>
internal abstract class QueuedJob(string route, int tokens, CancellationToken aborted)
{
    public string Route { get; } = route;
    /// <summary>Tokens this job adds to a forward pass ([CLS], [SEP] and prompt included, after truncation).</summary>
    public int Tokens { get; } = tokens;
    public CancellationToken Aborted { get; } = aborted;
    public long QueuedAt { get; set; } = Stopwatch.GetTimestamp();
    public abstract void Cancel();
    public abstract void Fail(Exception e);
}

/// <summary>
/// One embedding request: its inputs, tokenized once on the request thread (prompt and truncation applied), and the
/// options that still apply when they run (normalize, dimensions).
/// </summary>
internal sealed class EmbedJob(string route, EncodedInput[] inputs, EmbedOptions options, OptionsKey key, int tokens, CancellationToken aborted)
    : QueuedJob(route, tokens, aborted)
{
    public EncodedInput[] Inputs { get; } = inputs;
    public EmbedOptions Options { get; } = options;
    /// <summary>Jobs with equal keys run in one SentenceEmbedder call (equal options = equal answers per row).</summary>
    public OptionsKey Key { get; } = key;
    public TaskCompletionSource<EmbedResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public override void Cancel() => Result.TrySetCanceled(Aborted);
    public override void Fail(Exception e) => Result.TrySetException(e);
}

/// <summary>
/// Any other model call (token embeddings, classification, rerank, sparse, NER, QA, fill-mask): runs alone, in queue
/// order, on the batcher's thread, so every forward pass is bounded by the same queue and shows in the same metrics.
/// </summary>
/// <param name="inputs">inputs (texts, pairs) the work runs as one forward pass (batch-size metric)</param>
/// <param name="tokens">its tokens when the route tokenized them, else 0 (the library tokenizes; not in the token metric)</param>
internal sealed class WorkJob<T>(string route, int inputs, int tokens, Func<CancellationToken, T> work, CancellationToken aborted)
    : QueuedJob(route, tokens, aborted), IWorkJob
{
    public int Inputs { get; } = inputs;
    public TaskCompletionSource<T> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public void Run() => Result.TrySetResult(work(Aborted));
    public override void Cancel() => Result.TrySetCanceled(Aborted);
    public override void Fail(Exception e) => Result.TrySetException(e);
}

/// <summary>The untyped face of <see cref="WorkJob{T}"/> for the batcher.</summary>
internal interface IWorkJob
{
    int Inputs { get; }
    void Run();
}

/// <summary>A job's vectors (one per input, input order) and the tokens each input ran as.</summary>
internal sealed record EmbedResult(float[][] Vectors, int[] TokenCounts);

/// <summary>The per-request options that decide a row's answer once tokenized; jobs batch together only when theirs are equal.</summary>
internal readonly record struct OptionsKey(bool? Normalize, int? Dimensions);
