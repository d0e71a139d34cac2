using System.Threading.Channels;
using BertSharp.Engine;

namespace BertSharp.Server;

/// <summary>
/// Dynamic batching: requests queue in a bounded channel (capacity = --max-concurrent-requests; full → 429) and one
/// loop takes them in arrival order into a batch until the next would pass --max-batch-tokens or the batch has
/// --max-batch-requests requests, then runs it while new requests queue. Jobs with equal options run as one
/// <see cref="SentenceEmbedder.EmbedCountingTokens(IReadOnlyList{string}, Span{int}, EmbedOptions?, CancellationToken)"/>
/// call; the model computes each row on its own (packed sequences, no cross-row terms), so a request's vectors equal
/// its single-request answer. A job whose client disconnected is dropped before it runs.
/// </summary>
public sealed class EmbeddingBatcher : IAsyncDisposable
{
    private readonly SentenceEmbedder _embedder;
    private readonly int _maxBatchTokens, _maxBatchRequests;
    private readonly Channel<EmbedJob> _queue;
    private readonly Task _loop;
    private EmbedJob? _carry;                       // the job that did not fit the previous batch; first of the next
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _dropped;

    /// <summary>Requests in the queue (not yet taken into a batch).</summary>
    public int QueueLength => _queue.Reader.Count;
    /// <summary>Forward-pass calls made so far (one per group of equal options in a batch).</summary>
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
        _queue = Channel.CreateBounded<EmbedJob>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true, FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Factory.StartNew(RunLoopAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Queues a job; throws 429 when the queue is full. The task ends with the job's vectors.</summary>
    internal Task<EmbedResult> EnqueueAsync(EmbedJob job)
    {
        if (!_queue.Writer.TryWrite(job))
            throw ApiException.Overloaded("model is overloaded: the request queue is full; retry later");
        return job.Result.Task;
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
            while (batch.Count < _maxBatchRequests)
            {
                EmbedJob? job = _carry;
                _carry = null;
                if (job is null && !_queue.Reader.TryRead(out job)) break;
                if (job.Aborted.IsCancellationRequested) { Drop(job); continue; }
                // A single job larger than the budget still runs, alone.
                if (batch.Count > 0 && tokens + job.Tokens > _maxBatchTokens) { _carry = job; break; }
                batch.Add(job);
                tokens += job.Tokens;
            }
            if (batch.Count == 0) continue;
            LargestBatch = Math.Max(LargestBatch, batch.Count);
            RunBatch(batch);
        }
    }

    /// <summary>Runs the batch in groups of equal options (order of first appearance).</summary>
    private void RunBatch(List<EmbedJob> batch)
    {
        var done = new bool[batch.Count];
        var group = new List<EmbedJob>(batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            if (done[i]) continue;
            group.Clear();
            for (int j = i; j < batch.Count; j++)
                if (!done[j] && batch[j].Key == batch[i].Key) { group.Add(batch[j]); done[j] = true; }
            RunGroup(group);
        }
    }

    private void RunGroup(List<EmbedJob> group)
    {
        int count = 0;
        foreach (EmbedJob job in group) count += job.Texts.Length;
        var texts = new List<string>(count);
        foreach (EmbedJob job in group) texts.AddRange(job.Texts);
        var tokenCounts = new int[count];
        float[][] vectors;
        try
        {
            BatchesRun++;
            vectors = _embedder.EmbedCountingTokens(texts, tokenCounts, group[0].Options);
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
            int n = job.Texts.Length;
            job.Result.TrySetResult(new EmbedResult(vectors[offset..(offset + n)], tokenCounts[offset..(offset + n)]));
            offset += n;
        }
    }

    private void RunAlone(EmbedJob job)
    {
        if (job.Aborted.IsCancellationRequested) { Drop(job); return; }
        var tokenCounts = new int[job.Texts.Length];
        try
        {
            BatchesRun++;
            job.Result.TrySetResult(new EmbedResult(_embedder.EmbedCountingTokens(job.Texts, tokenCounts, job.Options), tokenCounts));
        }
        catch (Exception e) { Fail(job, e); }
    }

    private void Drop(EmbedJob job)
    {
        Interlocked.Increment(ref _dropped);
        job.Result.TrySetCanceled(job.Aborted);
    }

    private static void Fail(EmbedJob job, Exception e) =>
        job.Result.TrySetException(e is BertInputException ? ApiException.Validation(e.Message) : e);

    /// <summary>Stops taking requests; queued ones still run. Waits for the loop to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        _started.TrySetResult();
        await _loop.ConfigureAwait(false);
    }
}
