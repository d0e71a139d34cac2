using BertSharp.Engine;
using BertSharp.Engine.Quantization;

namespace BertSharp.Cli;

/// <summary>
/// bertsharp embed --model DIR [--pooling P] [--normalize|--no-normalize] [--prompt-name NAME | --prompt TEXT]
/// [--dimensions N] [TEXT ...]
/// Texts come from the arguments, or as JSON Lines {"text": ...} on stdin; one {"embedding": [...]} line per text.
/// --sparse [--top-k K] (a BertForMaskedLM SPLADE checkpoint): one {"sparse": [{"index": id, "value": w}, ...]} line
/// per text (TEI's /embed_sparse shape), weights descending.
/// --precision int8|uint8|binary|ubinary (with --output FILE.npy): quantized rows as sentence-transformers'
/// quantize_embeddings; int8/uint8 calibrate on the corpus itself (or --ranges R.npy, float32 [2, d]) and write the
/// ranges used to FILE.npy.ranges.npy, which `search` reads to quantize queries.
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
        var a = new CliArgs(args, [.. ModelOptions.ValueOptions, "--pooling", "--batch-size", "--input", "--output", "--window",
                "--prompt-name", "--prompt", "--dimensions", "--precision", "--ranges", "--top-k"],
            ["--normalize", "--no-normalize", "--progress", "--skip-bad-lines", "--sparse"]);
        if (a.Has("--sparse")) return SparseEmbed.Run(a, stdin, stdout, stderr);
        if (a.Has("--normalize") && a.Has("--no-normalize")) throw new CliUsageException("give --normalize or --no-normalize, not both");
        PoolingMode? pooling = a.Get("--pooling") is string p ? ParsePooling(p) : null;
        bool? normalize = a.Has("--normalize") ? true : a.Has("--no-normalize") ? false : null;
        int batchSize = a.GetInt("--batch-size") ?? 32;
        if (batchSize < 1) throw new CliUsageException("--batch-size must be at least 1");
        if (a.Has("--top-k")) throw new CliUsageException("--top-k goes with --sparse");
        bool fileMode = a.Has("--input") || a.Has("--output");
        EmbeddingPrecision precision = ParsePrecision(a.Get("--precision") ?? "float32");
        if (fileMode)
        {
            if (a.Positional.Count > 0) throw new CliUsageException("give texts as arguments or --input, not both");
            VectorWriters.CheckExtension(a.Require("--output"));
            if (precision != EmbeddingPrecision.Float32 && !Path.GetExtension(a.Require("--output")).Equals(".npy", StringComparison.OrdinalIgnoreCase))
                throw new CliUsageException($"--precision {a.Get("--precision")} writes .npy files (--output FILE.npy)");
        }
        else if (a.Has("--window") || a.Has("--progress") || a.Has("--skip-bad-lines") || a.Has("--precision"))
            throw new CliUsageException("--window, --progress, --skip-bad-lines and --precision go with --output");
        if (a.Has("--ranges") && precision is not (EmbeddingPrecision.Int8 or EmbeddingPrecision.UInt8))
            throw new CliUsageException("--ranges goes with --precision int8 or uint8");

        var model = BertModel.Load(ModelOptions.ModelFolder(a, stderr), ModelOptions.Load(a));
        var embedder = new SentenceEmbedder(model, pooling, normalize, ModelOptions.LongInputs(a))
            { MaxThreads = ModelOptions.Threads(a), BatchSize = batchSize };
        EmbedOptions options = Options(a, embedder);

        if (fileMode) return EmbedFile(a, embedder, options, precision, stdin, stderr, interrupt);
        if (a.Positional.Count > 0)
        {
            var argumentNumbers = new List<int>();
            for (int i = 1; i <= a.Positional.Count; i++) argumentNumbers.Add(i);
            Write(embedder.Embed(a.Positional, options), argumentNumbers, "text argument", stdout);
            return 0;
        }
        var batch = new List<string>(batchSize);
        var lineNumbers = new List<int>(batchSize);
        foreach (var (line, obj) in JsonLines.Read(stdin))
        {
            JsonLines.RejectField(obj, "text_pair", line, SingleTexts);
            batch.Add(JsonLines.RequireString(obj, "text", line));
            lineNumbers.Add(line);
            if (batch.Count == batchSize) { Write(embedder.Embed(batch, options), lineNumbers, "stdin line", stdout); batch.Clear(); lineNumbers.Clear(); }
        }
        if (batch.Count > 0) Write(embedder.Embed(batch, options), lineNumbers, "stdin line", stdout);
        return 0;
    }

    /// <summary>--prompt-name / --prompt / --dimensions as per-call options (checked against the model at once).</summary>
    internal static EmbedOptions Options(CliArgs a, SentenceEmbedder embedder)
    {
        if (a.Has("--prompt") && a.Has("--prompt-name")) throw new CliUsageException("give --prompt or --prompt-name, not both");
        var options = new EmbedOptions { PromptName = a.Get("--prompt-name"), Prompt = a.Get("--prompt"), Dimensions = a.GetInt("--dimensions") };
        try { embedder.ResolvePrompt(options); }
        catch (BertInputException e) { throw new CliUsageException("--prompt-name: " + e.Message); }
        if (options.Dimensions is int d && (d < 1 || d > embedder.FullDimension))
            throw new CliUsageException($"--dimensions {d} must be between 1 and the model's {embedder.FullDimension}");
        return options;
    }

    internal static EmbeddingPrecision ParsePrecision(string name)
    {
        try { return EmbeddingPrecisions.Parse(name); }
        catch (ArgumentException) { throw new CliUsageException($"--precision must be float32, int8, uint8, binary or ubinary, got '{name}'"); }
    }

    /// <summary>The int8/uint8 calibration ranges written beside a quantized index: float32 [2, d] (min row, max row).</summary>
    public static string RangesSidecar(string outputPath) => outputPath + ".ranges.npy";

    /// <summary>Reads a float32 [2, d] ranges file (sentence-transformers' `ranges`).</summary>
    public static QuantizationRanges ReadRanges(string path, int dimension)
    {
        using var reader = NpyReader.Open(path);
        if (reader.Descr != "<f4" || reader.Rows != 2 || reader.Columns != dimension)
            throw new InvalidDataException($"{path}: ranges must be float32 of shape (2, {dimension}) (min row, max row), got {reader.Descr} ({reader.Rows}, {reader.Columns})");
        var min = new float[dimension]; var max = new float[dimension];
        reader.ReadRow(min); reader.ReadRow(max);
        try { return new QuantizationRanges(min, max); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message.Split(" (Parameter")[0]}"); }
    }

    /// <summary>--input (default stdin) → --output, streamed; the kept line numbers go to OUTPUT.lines.txt with --skip-bad-lines.</summary>
    private static int EmbedFile(CliArgs a, SentenceEmbedder embedder, EmbedOptions options, EmbeddingPrecision precision,
        TextReader stdin, TextWriter stderr, CancellationToken interrupt)
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

        var streamer = new StreamingEmbedder(embedder, window) { ContinueOnError = true, Options = options };
        int dimension = options.Dimensions ?? embedder.Dimension;
        bool calibrated = precision is EmbeddingPrecision.Int8 or EmbeddingPrecision.UInt8;
        QuantizationRanges? ranges = a.Get("--ranges") is string rangesPath ? ReadRanges(rangesPath, dimension) : null;
        // int8/uint8 without --ranges: float rows go to a temporary .npy first, the ranges come from them, then the
        // quantized rows are written from it (two more sequential reads; memory stays flat).
        using var floats = calibrated && ranges is null ? new AtomicOutputFile(outputPath + ".float32.npy") : null;
        using var rangesFile = calibrated ? new AtomicOutputFile(RangesSidecar(outputPath)) : null;
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
            using IVectorWriter writer = floats is not null ? new NpyWriter(floats.Stream, dimension)
                : precision != EmbeddingPrecision.Float32 ? new QuantizedNpyWriter(output.Stream, dimension, precision, ranges)
                : VectorWriters.Open(outputPath, output.Stream, dimension);
            foreach (StreamedEmbedding<CorpusLine> r in streamer.Embed(GoodRecords(CorpusReader.Read(input)), static r => r.Text!, stop.Token))
            {
                if (r.Error is not null) Reject(new CorpusLine(r.Item.Line, null, r.Error.Message));
                else
                {
                    RequireFinite(r.Vector!, $"{inputName} line {r.Item.Line}");
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
        if (floats is not null) ranges = QuantizeFromFloats(floats, output, dimension, precision, outputPath);
        if (rangesFile is not null)
        {
            var rangesWriter = new NpyWriter(rangesFile.Stream, dimension);
            rangesWriter.Write(ranges!.Min); rangesWriter.Write(ranges.Max);
            rangesWriter.Complete();
            rangesFile.Commit();
        }
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

    /// <summary>Why a "text_pair" is refused: a sentence embedding is of one text (sentence-transformers has no pairs).</summary>
    internal const string SingleTexts = "embed encodes each text on its own (a sentence embedding has no text pair); embed the texts separately";

    /// <summary>Ranges of the float rows in <paramref name="floats"/>, then those rows quantized into <paramref name="output"/>.</summary>
    private static QuantizationRanges QuantizeFromFloats(AtomicOutputFile floats, AtomicOutputFile output, int dimension,
        EmbeddingPrecision precision, string outputPath)
    {
        floats.Stream.Flush();
        var row = new float[dimension];
        floats.Stream.Position = 0;
        var reader = new NpyReader(floats.Stream, floats.TempPath);
        if (reader.Rows == 0) throw new InvalidDataException($"{outputPath}: no rows to calibrate {EmbeddingPrecisions.Name(precision)} ranges on; give --ranges");
        var min = new float[dimension]; var max = new float[dimension];
        Array.Fill(min, float.PositiveInfinity); Array.Fill(max, float.NegativeInfinity);
        while (reader.ReadRow(row))
            for (int j = 0; j < dimension; j++) { min[j] = MathF.Min(min[j], row[j]); max[j] = MathF.Max(max[j], row[j]); }
        var ranges = new QuantizationRanges(min, max);
        floats.Stream.Position = 0;
        reader = new NpyReader(floats.Stream, floats.TempPath);
        var writer = new QuantizedNpyWriter(output.Stream, dimension, precision, ranges);
        while (reader.ReadRow(row)) writer.Write(row);
        writer.Complete();
        return ranges;
    }

    /// <summary>The sidecar listing the input line number of each output row (written with --skip-bad-lines).</summary>
    public static string LinesSidecar(string outputPath) => outputPath + ".lines.txt";

    internal static PoolingMode ParsePooling(string name)
    {
        try { return Pooling.Parse(name); }
        catch (ArgumentException e) { throw new CliUsageException(e.Message.Split(" (Parameter")[0]); }
    }

    /// <param name="numbers">the input line (or argument) number of each vector, for errors</param>
    private static void Write(float[][] vectors, List<int> numbers, string what, TextWriter stdout)
    {
        for (int i = 0; i < vectors.Length; i++) RequireFinite(vectors[i], $"{what} {numbers[i]}");
        foreach (float[] v in vectors) JsonLines.WriteObject(stdout, w => JsonLines.WriteFloats(w, "embedding", v));
        stdout.Flush();
    }

    /// <summary>
    /// An embedding with NaN or ±infinity (finite weights whose activations overflow float32) is an error naming the
    /// input, never a JSON serializer failure or NaNs written silently to a vector file.
    /// </summary>
    private static void RequireFinite(float[] vector, string where)
    {
        int bad = BertSharp.Weights.NonFiniteValues.IndexOfFirst(vector);
        if (bad >= 0)
            throw new CorpusLineException($"{where}: the embedding has {vector[bad].ToString(System.Globalization.CultureInfo.InvariantCulture)} at dimension {bad} " +
                "(the model's activations overflow float32 on this text); nothing is written for it");
    }
}
