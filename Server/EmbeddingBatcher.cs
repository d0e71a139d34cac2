using System.Diagnostics;
using System.Threading.Channels;
using BertSharp.Engine;

namespace BertSharp.Server;

/// <summary>
/// Dynamic batching: requests queue in a bounded channel (capacity = --max-concurrent-requests; full → 429) and one
/// loop takes them in arrival order into a batch until the next would pass --max-batch-tokens or the batch has
/// --max-batch-requests requests, then runs it while new requests queue. Embedding jobs arrive tokenized (once, on the
/// request thread); jobs with equal options run as one
/// <see cref="SentenceEmbedder.Embed(IReadOnlyList{EncodedInput}, EmbedOptions?, CancellationToken)"/> call; the model
/// computes each row on its own (packed sequences, no cross-row terms), so a request's vectors equal its single-request
/// answer. Other model work (<see cref="WorkJob{T}"/>: classification, rerank, ...) runs alone in queue order. A job
/// whose client disconnected is dropped before it runs.
/// </summary>
public sealed class EmbeddingBatcher : IAsyncDisposable
{
    private readonly SentenceEmbedder _embedder;
    private readonly int _maxBatchTokens, _maxBatchRequests;
    private readonly Channel<QueuedJob> _queue;
    private readonly Task _loop;
    private QueuedJob? _carry;                      // the job that did not fit the previous batch; first of the next
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _dropped;

    /// <summary>Where batch sizes, queue and inference times go (null = nowhere).</summary>
    internal ServerMetrics? Metrics { get; set; }
    /// <summary>Requests in the queue (not yet taken into a batch).</summary>
    public int QueueLength => _queue.Reader.Count;
    /// <summary>Forward-pass calls made so far (one per group of equal options in a batch, one per other job).</summary>
    public long BatchesRun { get; private set; }
    /// <summary>Largest number of requests that shared one batch so far.</summary>
    public int LargestBatch { get; private set; }
    /// <summary>Jobs dropped because their client disconnected before they ran.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public EmbeddingBatcher(SentenceEmbedder embedder, int maxBatchTokens, int maxBatchRequests, int capacity)
        : this(embedder, maxBatchTokens, maxBatchRequests, capacity, paused: false) { }

    /// <param name="paused">true = the loop waits for <see cref="Resume"/> (tests fill the queue deterministically)</param>
    internal EmbeddingBatcher(SentenceEmbedder embedder, int maxBatchTokens, int maxBatchRequests, int capacity, bool paused)
    {
        if (!paused) _started.SetResult();
        _embedder = embedder;
        _maxBatchTokens = maxBatchTokens;
        _maxBatchRequests = maxBatchRequests;
        _queue = Channel.CreateBounded<QueuedJob>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true, FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Factory.StartNew(RunLoopAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Queues a job; throws 429 when the queue is full. The task ends with the job's vectors.</summary>
    internal Task<EmbedResult> EnqueueAsync(EmbedJob job)
    {
        Enqueue(job);
        return job.Result.Task;
    }

    /// <summary>Queues other model work; throws 429 when the queue is full. The task ends with its result.</summary>
    internal Task<T> EnqueueAsync<T>(WorkJob<T> job)
    {
        Enqueue(job);
        return job.Result.Task;
    }

    private void Enqueue(QueuedJob job)
    {
        job.QueuedAt = Stopwatch.GetTimestamp();
        if (!_queue.Writer.TryWrite(job))
            throw ApiException.Overloaded("model is overloaded: the request queue is full; retry later");
    }

    /// <summary>Starts a loop created paused.</summary>
    internal void Resume() => _started.TrySetResult();

    private async Task RunLoopAsync()
    {
        await _started.Task.ConfigureAwait(false);
        var batch = new List<EmbedJob>(_maxBatchRequests);
        while (_carry is not null || await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            int tokens = 0;
            QueuedJob? alone = null;
            while (batch.Count < _maxBatchRequests)
            {
                QueuedJob? job = _carry;
                _carry = null;
                if (job is null && !_queue.Reader.TryRead(out job)) break;
                if (job.Aborted.IsCancellationRequested) { Drop(job); continue; }
                if (job is not EmbedJob embed)
                {
                    // Other work runs alone: after the batch formed so far, or now when there is none.
                    if (batch.Count > 0) _carry = job;
                    else alone = job;
                    break;
                }
                // A single job larger than the budget still runs, alone.
                if (batch.Count > 0 && tokens + job.Tokens > _maxBatchTokens) { _carry = job; break; }
                batch.Add(embed);
                tokens += job.Tokens;
            }
            if (alone is not null) { RunWork(alone); continue; }
            if (batch.Count == 0) continue;
            LargestBatch = Math.Max(LargestBatch, batch.Count);
            RunBatch(batch);
        }
    }

    private void RunWork(QueuedJob job)
    {
        long start = Stopwatch.GetTimestamp();
        Metrics?.Queue(job.Route, Stopwatch.GetElapsedTime(job.QueuedAt, start).TotalSeconds);
        Metrics?.Batch(((IWorkJob)job).Inputs, job.Tokens > 0 ? job.Tokens : null);
        BatchesRun++;
        try { ((IWorkJob)job).Run(); }
        catch (OperationCanceledException) when (job.Aborted.IsCancellationRequested) { Drop(job); }
        catch (Exception e) { Fail(job, e); }
        Metrics?.Inference(job.Route, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    /// <summary>Runs the batch in groups of equal options (order of first appearance).</summary>
    private void RunBatch(List<EmbedJob> batch)
    {
        long now = Stopwatch.GetTimestamp();
        int inputs = 0, tokens = 0;
        foreach (EmbedJob job in batch)
        {
            Metrics?.Queue(job.Route, Stopwatch.GetElapsedTime(job.QueuedAt, now).TotalSeconds);
            inputs += job.Inputs.Length;
            tokens += job.Tokens;
        }
        Metrics?.Batch(inputs, tokens);
        var done = new bool[batch.Count];
        var group = new List<EmbedJob>(batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            if (done[i]) continue;
            group.Clear();
            for (int j = i; j < batch.Count; j++)
                if (!done[j] && batch[j].Key == batch[i].Key) { group.Add(batch[j]); done[j] = true; }
            long start = Stopwatch.GetTimestamp();
            RunGroup(group);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            foreach (EmbedJob job in group) Metrics?.Inference(job.Route, seconds);
        }
    }

    private void RunGroup(List<EmbedJob> group)
    {
        int count = 0;
        foreach (EmbedJob job in group) count += job.Inputs.Length;
        var inputs = new List<EncodedInput>(count);
        foreach (EmbedJob job in group) inputs.AddRange(job.Inputs);
        float[][] vectors;
        try
        {
            BatchesRun++;
            vectors = _embedder.Embed(inputs, group[0].Options);
        }
        catch (Exception) when (group.Count > 1)
        {
            // One job's input failed the whole call: run each alone so only that job gets the error.
            foreach (EmbedJob job in group) RunAlone(job);
            return;
        }
        catch (Exception e)
        {
            Fail(group[0], e);
            return;
        }
        int offset = 0;
        foreach (EmbedJob job in group)
        {
            int n = job.Inputs.Length;
            job.Result.TrySetResult(new EmbedResult(vectors[offset..(offset + n)], Counts(job)));
            offset += n;
        }
    }

    private static int[] Counts(EmbedJob job)
    {
        var counts = new int[job.Inputs.Length];
        for (int i = 0; i < counts.Length; i++) counts[i] = job.Inputs[i].Length;
        return counts;
    }

    private void RunAlone(EmbedJob job)
    {
        if (job.Aborted.IsCancellationRequested) { Drop(job); return; }
        try
        {
            BatchesRun++;
            job.Result.TrySetResult(new EmbedResult(_embedder.Embed(job.Inputs, job.Options), Counts(job)));
        }
        catch (Exception e) { Fail(job, e); }
    }

    private void Drop(QueuedJob job)
    {
        Interlocked.Increment(ref _dropped);
        job.Cancel();
    }

    private static void Fail(QueuedJob job, Exception e) =>
        job.Fail(e is BertInputException or Tokenization.TokenizerException ? ApiException.Validation(e.Message) : e);

    /// <summary>Stops taking requests; queued ones still run. Waits for the loop to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        _started.TrySetResult();
        await _loop.ConfigureAwait(false);
    }
}
