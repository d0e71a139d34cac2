using BertSharp.Engine;

namespace BertSharp.Cli;

/// <summary>Bad corpus line in the default (fail) mode: the message names the input and line.</summary>
public sealed class CorpusLineException(string message) : Exception(message);

/// <summary>
/// Embeds a JSON Lines corpus of any size with flat memory: reads a window of records, embeds them in batches sorted by
/// length within the window (batches of similar length waste little padding), writes the window's vectors back in input
/// order, and moves on. Memory: one window of texts + one window of vectors [window, dim], whatever the file size.
/// </summary>
public sealed class StreamingEmbedder
{
    private readonly SentenceEmbedder _embedder;
    private readonly int _window;

    /// <summary>Called with each skipped record (skip mode); the default fail mode throws <see cref="CorpusLineException"/>.</summary>
    public Action<CorpusLine>? OnSkip { get; init; }

    /// <summary>Called after each window with the number of rows written so far.</summary>
    public Action<long>? OnProgress { get; init; }

    /// <param name="window">records sorted and embedded together (≥ 1)</param>
    public StreamingEmbedder(SentenceEmbedder embedder, int window = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        _embedder = embedder; _window = window;
    }

    public bool SkipBadLines => OnSkip is not null;

    /// <summary>
    /// Embeds every good record of <paramref name="input"/> into <paramref name="output"/> in input order; the input
    /// line number of each row goes to <paramref name="keptLines"/> (one per line) when given. Returns (rows, skipped).
    /// <paramref name="cancellationToken"/> stops it with <see cref="OperationCanceledException"/> (checked per window,
    /// per batch and inside each forward pass); it is never mistaken for a bad record.
    /// </summary>
    public (long Rows, long Skipped) Run(TextReader input, string inputName, IVectorWriter output, TextWriter? keptLines = null,
        CancellationToken cancellationToken = default)
    {
        int dim = output.Dimension;
        var texts = new List<string>(_window);
        var lines = new List<int>(_window);
        var vectors = new float[_window * dim];   // [window, dim], row i = record i of the window
        var embedded = new bool[_window];
        long skipped = 0;
        foreach (CorpusLine record in CorpusReader.Read(input))
        {
            if (record.IsBad)
            {
                Reject(record, inputName);
                skipped++;
                continue;
            }
            texts.Add(record.Text!); lines.Add(record.Line);
            if (texts.Count == _window) skipped += Flush(texts, lines, vectors, embedded, inputName, output, keptLines, cancellationToken);
        }
        skipped += Flush(texts, lines, vectors, embedded, inputName, output, keptLines, cancellationToken);
        return (output.Count, skipped);
    }

    private void Reject(CorpusLine record, string inputName)
    {
        if (OnSkip is null) throw new CorpusLineException($"{inputName} line {record.Line}: {record.Error}");
        OnSkip(record);
    }

    /// <summary>Embeds and writes one window; returns how many of its records failed to embed (skip mode).</summary>
    private long Flush(List<string> texts, List<int> lines, float[] vectors, bool[] embedded, string inputName,
                       IVectorWriter output, TextWriter? keptLines, CancellationToken cancellationToken)
    {
        int n = texts.Count;
        if (n == 0) return 0;
        int dim = output.Dimension;
        // order: window positions by text length (chars, a cheap proxy for tokens)
        var lengths = new int[n];
        var order = new int[n];
        for (int i = 0; i < n; i++) { lengths[i] = texts[i].Length; order[i] = i; }
        Array.Sort(lengths, order);

        int batchSize = _embedder.BatchSize;
        var batch = new List<string>(batchSize);
        Array.Clear(embedded, 0, n);
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            batch.Clear();
            for (int j = 0; j < count; j++) batch.Add(texts[order[start + j]]);
            float[][] result;
            try { result = _embedder.Embed(batch, cancellationToken); }
            catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
            {
                // Find the record(s) at fault one by one: they fail (naming the line) or are skipped.
                for (int j = 0; j < count; j++)
                {
                    int at = order[start + j];
                    try { Store(_embedder.Embed([texts[at]], cancellationToken)[0], at); }
                    catch (Exception one) when (one is not (OutOfMemoryException or OperationCanceledException))
                    {
                        Reject(new CorpusLine(lines[at], null, one.Message), inputName);
                    }
                }
                continue;
            }
            for (int j = 0; j < count; j++) Store(result[j], order[start + j]);
        }

        long failed = 0;
        for (int i = 0; i < n; i++)
        {
            if (!embedded[i]) { failed++; continue; }
            output.Write(vectors.AsSpan(i * dim, dim));
            keptLines?.WriteLine(lines[i]);
        }
        texts.Clear(); lines.Clear();
        OnProgress?.Invoke(output.Count);
        return failed;

        void Store(float[] v, int at)
        {
            if (v.Length != dim) throw new InvalidOperationException($"the model gave a {v.Length}-value vector, expected {dim}");
            v.CopyTo(vectors.AsSpan(at * dim, dim));
            embedded[at] = true;
        }
    }
}
