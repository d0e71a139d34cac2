using System.Runtime.CompilerServices;

namespace BertSharp.Engine;

/// <summary>
/// One item of a stream embedded by <see cref="StreamingEmbedder"/>: its 0-based position in the input, the item as
/// given, and its vector — or, with <see cref="StreamingEmbedder.ContinueOnError"/>, the error that kept it from being
/// embedded (then <see cref="Vector"/> is null).
/// </summary>
public readonly record struct StreamedEmbedding<T>(long Index, T Item, float[]? Vector, Exception? Error);

/// <summary>
/// Embeds a stream of texts of any length with bounded memory and yields the vectors in input order: reads a window of
/// items, embeds them in batches sorted by length within the window (batches of similar length waste little padding),
/// yields the window in input order, and moves on. Memory: one window of texts and vectors, whatever the stream's size.
/// </summary>
/// <example>
/// foreach (var r in new StreamingEmbedder(embedder).Embed(File.ReadLines("corpus.txt"), line => line))
///     writer.Write(r.Vector);
/// </example>
public sealed class StreamingEmbedder
{
    public SentenceEmbedder Embedder { get; }
    /// <summary>Items sorted and embedded together (≥ 1).</summary>
    public int Window { get; }
    /// <summary>
    /// false (default): an item that cannot be embedded throws <see cref="BertInputException"/> naming its index;
    /// true: it is yielded with its <see cref="StreamedEmbedding{T}.Error"/> and the stream goes on.
    /// </summary>
    public bool ContinueOnError { get; init; }

    /// <summary>Per-call options of every batch (prompt, dimensions, normalisation); null = the embedder's defaults.</summary>
    public EmbedOptions? Options { get; init; }

    public StreamingEmbedder(SentenceEmbedder embedder, int window = 4096)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        Embedder = embedder; Window = window;
    }

    /// <summary>
    /// Every item of <paramref name="items"/> with its vector, in input order. <paramref name="cancellationToken"/>
    /// stops it with <see cref="OperationCanceledException"/> (checked per item read, per batch and inside each forward
    /// pass); a cancellation is never reported as an item's error.
    /// </summary>
    /// <param name="textOf">the text of an item</param>
    public IEnumerable<StreamedEmbedding<T>> Embed<T>(IEnumerable<T> items, Func<T, string> textOf, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(textOf);
        return EmbedIterator(items, textOf, cancellationToken);
    }

    private IEnumerable<StreamedEmbedding<T>> EmbedIterator<T>(IEnumerable<T> items, Func<T, string> textOf, CancellationToken cancellationToken)
    {
        var window = new WindowBuffer<T>(this);
        foreach (T item in items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!window.Add(item, textOf(item))) continue;
            foreach (StreamedEmbedding<T> r in window.Flush(cancellationToken)) yield return r;
        }
        foreach (StreamedEmbedding<T> r in window.Flush(cancellationToken)) yield return r;
    }

    /// <summary>As <see cref="Embed{T}"/> over an asynchronous source (e.g. a network stream of texts).</summary>
    public async IAsyncEnumerable<StreamedEmbedding<T>> EmbedAsync<T>(IAsyncEnumerable<T> items, Func<T, string> textOf,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(textOf);
        var window = new WindowBuffer<T>(this);
        await foreach (T item in items.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (!window.Add(item, textOf(item))) continue;
            foreach (StreamedEmbedding<T> r in window.Flush(cancellationToken)) yield return r;
        }
        foreach (StreamedEmbedding<T> r in window.Flush(cancellationToken)) yield return r;
    }

    /// <summary>One window of items: filled by Add, embedded and emptied by Flush (results in input order).</summary>
    private sealed class WindowBuffer<T>(StreamingEmbedder owner)
    {
        private readonly List<T> _items = new(Math.Min(owner.Window, 4096));
        private readonly List<string> _texts = new(Math.Min(owner.Window, 4096));
        private readonly List<StreamedEmbedding<T>> _results = new(Math.Min(owner.Window, 4096));
        private readonly List<string> _batch = new(owner.Embedder.BatchSize);
        private long _firstIndex;

        /// <summary>Adds an item; true when the window is full and must be flushed.</summary>
        public bool Add(T item, string text)
        {
            _items.Add(item);
            _texts.Add(text ?? throw new BertInputException($"text {_firstIndex + _items.Count - 1} is null"));
            return _items.Count == owner.Window;
        }

        public List<StreamedEmbedding<T>> Flush(CancellationToken cancellationToken)
        {
            int n = _items.Count;
            _results.Clear();
            if (n == 0) return _results;
            // Window positions ordered by text length (chars: a cheap proxy for tokens).
            var lengths = new int[n];
            var order = new int[n];
            for (int i = 0; i < n; i++) { lengths[i] = _texts[i].Length; order[i] = i; }
            Array.Sort(lengths, order);

            var vectors = new float[n][];
            var errors = new Exception?[n];
            SentenceEmbedder embedder = owner.Embedder;
            for (int start = 0; start < n; start += embedder.BatchSize)
            {
                int count = Math.Min(embedder.BatchSize, n - start);
                _batch.Clear();
                for (int j = 0; j < count; j++) _batch.Add(_texts[order[start + j]]);
                float[][] batch;
                try { batch = embedder.Embed(_batch, owner.Options, cancellationToken); }
                catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
                {
                    // Find the item(s) at fault one by one.
                    for (int j = 0; j < count; j++)
                    {
                        int at = order[start + j];
                        try { vectors[at] = embedder.Embed([_texts[at]], owner.Options, cancellationToken)[0]; }
                        catch (Exception one) when (one is not (OutOfMemoryException or OperationCanceledException))
                        {
                            if (!owner.ContinueOnError)
                                throw new BertInputException($"text {_firstIndex + at}: {one.Message}");
                            errors[at] = one;
                        }
                    }
                    continue;
                }
                for (int j = 0; j < count; j++) vectors[order[start + j]] = batch[j];
            }
            for (int i = 0; i < n; i++) _results.Add(new StreamedEmbedding<T>(_firstIndex + i, _items[i], vectors[i], errors[i]));
            _firstIndex += n;
            _items.Clear(); _texts.Clear();
            return _results;
        }
    }
}
