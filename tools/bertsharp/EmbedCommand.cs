using BertSharp.Engine;

namespace BertSharp.Cli;

/// <summary>
/// bertsharp embed --model DIR [--pooling P] [--normalize|--no-normalize] [TEXT ...]
/// Texts come from the arguments, or as JSON Lines {"text": ...} on stdin; one {"embedding": [...]} line per text.
/// File mode: --input corpus.jsonl|- --output vectors.npy|.safetensors|.jsonl [--window N] [--progress] [--skip-bad-lines]
/// streams the corpus through <see cref="StreamingEmbedder"/> (Engine) into a temporary file renamed over the output on success.
/// Ctrl+C in file mode: the first press stops after the current encoder layer, removes the temporary file (the
/// destination is left as it was), prints one line on stderr and exits with 130; a second press ends the process at once.
/// </summary>
public static class EmbedCommand
{
    /// <summary>Exit code of a run stopped by Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int InterruptedExitCode = 130;

    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr) =>
        Run(args, stdin, stdout, stderr, CancellationToken.None);

    /// <param name="interrupt">acts like Ctrl+C in file mode (for hosts and tests)</param>
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken interrupt)
    {
        var a = new CliArgs(args, [.. ModelOptions.ValueOptions, "--pooling", "--batch-size", "--input", "--output", "--window"],
            ["--normalize", "--no-normalize", "--progress", "--skip-bad-lines"]);
        if (a.Has("--normalize") && a.Has("--no-normalize")) throw new CliUsageException("give --normalize or --no-normalize, not both");
        PoolingMode? pooling = a.Get("--pooling") is string p ? ParsePooling(p) : null;
        bool? normalize = a.Has("--normalize") ? true : a.Has("--no-normalize") ? false : null;
        int batchSize = a.GetInt("--batch-size") ?? 32;
        if (batchSize < 1) throw new CliUsageException("--batch-size must be at least 1");
        bool fileMode = a.Has("--input") || a.Has("--output");
        if (fileMode)
        {
            if (a.Positional.Count > 0) throw new CliUsageException("give texts as arguments or --input, not both");
            VectorWriters.CheckExtension(a.Require("--output"));
        }
        else if (a.Has("--window") || a.Has("--progress") || a.Has("--skip-bad-lines"))
            throw new CliUsageException("--window, --progress and --skip-bad-lines go with --output");

        var model = BertModel.Load(ModelOptions.ModelFolder(a, stderr));
        var embedder = new SentenceEmbedder(model, pooling, normalize, ModelOptions.LongInputs(a))
            { MaxThreads = ModelOptions.Threads(a), BatchSize = batchSize };

        if (fileMode) return EmbedFile(a, embedder, stdin, stderr, interrupt);
        if (a.Positional.Count > 0)
        {
            Write(embedder.Embed(a.Positional), stdout);
            return 0;
        }
        var batch = new List<string>(batchSize);
        foreach (var (line, obj) in JsonLines.Read(stdin))
        {
            batch.Add(JsonLines.RequireString(obj, "text", line));
            if (batch.Count == batchSize) { Write(embedder.Embed(batch), stdout); batch.Clear(); }
        }
        if (batch.Count > 0) Write(embedder.Embed(batch), stdout);
        return 0;
    }

    /// <summary>--input (default stdin) → --output, streamed; the kept line numbers go to OUTPUT.lines.txt with --skip-bad-lines.</summary>
    private static int EmbedFile(CliArgs a, SentenceEmbedder embedder, TextReader stdin, TextWriter stderr, CancellationToken interrupt)
    {
        string inputPath = a.Get("--input") ?? "-";
        string outputPath = a.Require("--output");
        int window = a.GetInt("--window") ?? 4096;
        if (window < 1) throw new CliUsageException("--window must be at least 1");
        if (inputPath != "-" && !File.Exists(inputPath)) throw new CliUsageException($"--input {inputPath}: no such file");
        string inputName = inputPath == "-" ? "stdin" : inputPath;
        bool skip = a.Has("--skip-bad-lines");
        bool terminal = ProgressReporter.IsTerminal(stderr);
        bool showProgress = a.Has("--progress") || terminal;
        long? total = showProgress && inputPath != "-" ? ProgressReporter.CountLines(inputPath) : null;
        var progress = new ProgressReporter(stderr, showProgress, terminal, total);

        var streamer = new StreamingEmbedder(embedder, window) { ContinueOnError = true };
        string linesPath = LinesSidecar(outputPath);
        using var output = new AtomicOutputFile(outputPath);
        using var lines = skip ? new AtomicOutputFile(linesPath) : null;
        long rows = 0, skipped = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        // First Ctrl+C: cancel and unwind normally (the using blocks close and delete the temporary files).
        // Second Ctrl+C: the process ends without unwinding, so remove the temporary files here.
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (!stop.IsCancellationRequested) { e.Cancel = true; stop.Cancel(); }
            else { output.Abandon(); lines?.Abandon(); }
        };
        Console.CancelKeyPress += onCancel;
        TextReader input = inputPath == "-" ? stdin : CorpusReader.Open(inputPath);
        try
        {
            using var linesWriter = lines is null ? null : new StreamWriter(lines.Stream, leaveOpen: true);
            using var writer = VectorWriters.Open(outputPath, output.Stream, embedder.Dimension);
            foreach (StreamedEmbedding<CorpusLine> r in streamer.Embed(GoodRecords(CorpusReader.Read(input)), static r => r.Text!, stop.Token))
            {
                if (r.Error is not null) Reject(new CorpusLine(r.Item.Line, null, r.Error.Message));
                else
                {
                    writer.Write(r.Vector);
                    linesWriter?.WriteLine(r.Item.Line);
                    rows++;
                }
                if ((r.Index + 1) % window == 0) progress.Update(rows);   // after each window
            }
            writer.Complete();
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            if (terminal) stderr.WriteLine();   // end the progress line drawn in place
            stderr.WriteLine($"bertsharp embed: interrupted; {outputPath} was not written (left as it was)");
            return InterruptedExitCode;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            if (!ReferenceEquals(input, stdin)) input.Dispose();
        }
        progress.Finish(rows);
        output.Commit();
        if (lines is not null) lines.Commit();
        else if (File.Exists(linesPath)) File.Delete(linesPath); // a stale sidecar would mis-map the new rows
        if (skip)
            stderr.WriteLine($"bertsharp embed: {rows} rows written to {outputPath}, {skipped} lines skipped; " +
                             $"row i is the input line on line i of {linesPath}");
        return 0;

        // A bad record fails the run naming its line, or (--skip-bad-lines) is reported and skipped.
        void Reject(CorpusLine record)
        {
            if (!skip) throw new CorpusLineException($"{inputName} line {record.Line}: {record.Error}");
            stderr.WriteLine($"bertsharp embed: skipped {inputName} line {record.Line}: {record.Error}");
            skipped++;
        }

        IEnumerable<CorpusLine> GoodRecords(IEnumerable<CorpusLine> records)
        {
            foreach (CorpusLine record in records)
            {
                if (record.IsBad) Reject(record);
                else yield return record;
            }
        }
    }

    /// <summary>The sidecar listing the input line number of each output row (written with --skip-bad-lines).</summary>
    public static string LinesSidecar(string outputPath) => outputPath + ".lines.txt";

    internal static PoolingMode ParsePooling(string name)
    {
        try { return Pooling.Parse(name); }
        catch (ArgumentException e) { throw new CliUsageException(e.Message.Split(" (Parameter")[0]); }
    }

    private static void Write(float[][] vectors, TextWriter stdout)
    {
        foreach (float[] v in vectors) JsonLines.WriteObject(stdout, w => JsonLines.WriteFloats(w, "embedding", v));
        stdout.Flush();
    }
}
