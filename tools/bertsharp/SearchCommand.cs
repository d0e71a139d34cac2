using System.Globalization;
using BertSharp.Engine;
using BertSharp.Engine.Quantization;

namespace BertSharp.Cli;

/// <summary>
/// bertsharp search --model DIR --index vectors.npy --corpus corpus.jsonl [--top-k K] [--prompt-name N | --prompt T]
/// [--dimensions N] [--rescore [--rescore-multiplier M]] "query"
/// Embeds the query with the same recipe as `embed` (same --pooling/--normalize/--dimensions options), scans the index
/// row by row (flat memory) for the top-k, and prints one {"rank", "score", "line", "text"} line per hit.
/// The index's precision comes from its dtype and width: float32 → cosine; int8 / uint8 ([n, d], with the ranges
/// sidecar INDEX.ranges.npy that `embed --precision` writes) → integer inner product of the quantized query;
/// binary / ubinary ([n, ⌈d/8⌉]) → score = −Hamming distance. --rescore re-scores the best k·M (M default 2, as
/// sentence-transformers) by the float query · the stored vector (<see cref="QuantizedTopK"/>); --rescore-vectors
/// FLOAT.npy (the float32 index of the same corpus) re-scores the best k·M by cosine with their float32 vectors instead,
/// reading only those rows.
/// Row i of the index is the i-th record (non-blank line) of the corpus, or, when the index has the sidecar
/// INDEX.lines.txt written by `embed --skip-bad-lines`, the corpus line named on line i of it.
/// </summary>
public static class SearchCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, [.. ModelOptions.ValueOptions, "--pooling", "--index", "--corpus", "--top-k", "--prompt-name", "--prompt",
            "--dimensions", "--rescore-multiplier", "--rescore-vectors"], ["--normalize", "--no-normalize", "--rescore"]);
        if (a.Has("--normalize") && a.Has("--no-normalize")) throw new CliUsageException("give --normalize or --no-normalize, not both");
        if (a.Positional.Count != 1) throw new CliUsageException("give exactly one query text");
        string query = a.Positional[0];
        int topK = a.GetInt("--top-k") ?? 5;
        if (topK < 1) throw new CliUsageException("--top-k must be at least 1");
        string indexPath = a.Require("--index"), corpusPath = a.Require("--corpus");
        if (!Path.GetExtension(indexPath).Equals(".npy", StringComparison.OrdinalIgnoreCase))
            throw new CliUsageException($"--index {indexPath}: search reads .npy indexes (write one with embed --output FILE.npy)");
        if (!File.Exists(indexPath)) throw new CliUsageException($"--index {indexPath}: no such file");
        if (!File.Exists(corpusPath)) throw new CliUsageException($"--corpus {corpusPath}: no such file");
        PoolingMode? pooling = a.Get("--pooling") is string p ? EmbedCommand.ParsePooling(p) : null;
        bool? normalize = a.Has("--normalize") ? true : a.Has("--no-normalize") ? false : null;

        var model = BertModel.Load(ModelOptions.ModelFolder(a, stderr), ModelOptions.Load(a));
        var embedder = new SentenceEmbedder(model, pooling, normalize, ModelOptions.LongInputs(a)) { MaxThreads = ModelOptions.Threads(a) };

        EmbedOptions options = EmbedCommand.Options(a, embedder);
        int dimension = options.Dimensions ?? embedder.Dimension;
        int multiplier = a.GetInt("--rescore-multiplier") ?? 2;
        bool rescore = a.Has("--rescore") || a.Has("--rescore-vectors");
        if (a.Has("--rescore") && a.Has("--rescore-vectors")) throw new CliUsageException("give --rescore or --rescore-vectors, not both");
        if (a.Has("--rescore-multiplier") && !rescore) throw new CliUsageException("--rescore-multiplier goes with --rescore or --rescore-vectors");
        if (multiplier < 1) throw new CliUsageException("--rescore-multiplier must be at least 1");

        using var index = NpyReader.Open(indexPath);
        EmbeddingPrecision precision = IndexPrecision(index, dimension, indexPath, a.Require("--model"));
        if (rescore && precision == EmbeddingPrecision.Float32)
            throw new CliUsageException($"--rescore: {indexPath} holds float32 vectors already (rescoring is for int8/uint8/binary indexes)");
        using NpyReader? floatVectors = a.Get("--rescore-vectors") is string fv ? OpenFloatVectors(fv, index, dimension) : null;
        QuantizationRanges? ranges = null;
        if (precision is EmbeddingPrecision.Int8 or EmbeddingPrecision.UInt8)
        {
            string rangesPath = EmbedCommand.RangesSidecar(indexPath);
            if (!File.Exists(rangesPath))
                throw new InvalidDataException($"{rangesPath}: missing; an {EmbeddingPrecisions.Name(precision)} index needs the calibration ranges `embed --precision` writes beside it");
            ranges = EmbedCommand.ReadRanges(rangesPath, dimension);
        }
        int[]? rowLines = ReadSidecar(EmbedCommand.LinesSidecar(indexPath), index.Rows);

        float[] q = embedder.Embed([query], options)[0];
        var search = floatVectors is not null ? new QuantizedTopK(q, precision, ranges, checked(topK * multiplier))
            : new QuantizedTopK(q, precision, ranges, topK, a.Has("--rescore") ? multiplier : 0);
        var stored = new byte[index.RowBytes];
        for (long r = 0; index.ReadRowBytes(stored); r++) search.Add(r, stored);
        IReadOnlyList<(long Row, float Score)> hits = search.Results();
        if (floatVectors is not null)
        {
            var v = new float[dimension];
            var rescored = new List<(long Row, float Score)>(hits.Count);
            foreach (var (row, _) in hits) { floatVectors.ReadRowAt(row, v); rescored.Add((row, VectorMath.CosineSimilarity(q, v))); }
            rescored.Sort((x, y) => y.Score.CompareTo(x.Score) is int c && c != 0 ? c : x.Row.CompareTo(y.Row));
            hits = rescored.Take(topK).ToList();
        }

        // Row → corpus line; count the corpus records and pick up the hit texts in one streaming pass.
        var wanted = new Dictionary<int, string?>();
        var hitLines = new int[hits.Count];
        for (int i = 0; i < hits.Count; i++)
        {
            hitLines[i] = rowLines is null ? -1 : rowLines[hits[i].Row];
            if (rowLines is not null) wanted[hitLines[i]] = null;
        }
        var rowOfHit = new Dictionary<long, int>();
        for (int i = 0; i < hits.Count; i++) rowOfHit[hits[i].Row] = i;
        long records = 0; int lastLine = 0;
        using (var corpus = (corpusPath == "-" ? stdin : CorpusReader.Open(corpusPath)))
        {
            string? line;
            int lineNumber = 0;
            while ((line = corpus.ReadLine()) is not null)
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                if (rowLines is null && rowOfHit.TryGetValue(records, out int h)) { hitLines[h] = lineNumber; wanted[lineNumber] = null; }
                if (wanted.ContainsKey(lineNumber))
                {
                    CorpusLine r = CorpusReader.Parse(line, lineNumber);
                    if (r.IsBad) throw new InvalidDataException($"{corpusPath} line {lineNumber}: {r.Error} (it is a search hit; was the index built from this corpus?)");
                    wanted[lineNumber] = r.Text;
                }
                records++; lastLine = lineNumber;
            }
        }
        if (rowLines is null && records != index.Rows)
            throw new InvalidDataException($"{indexPath} has {index.Rows} rows but {corpusPath} has {records} records (non-blank lines); the index must be built from this corpus");
        if (rowLines is not null && rowLines.Length > 0 && rowLines[^1] > lastLine)
            throw new InvalidDataException($"{EmbedCommand.LinesSidecar(indexPath)} names line {rowLines[^1]} but {corpusPath} ends at line {lastLine}; the index must be built from this corpus");

        for (int i = 0; i < hits.Count; i++)
        {
            string text = wanted[hitLines[i]] ?? throw new InvalidDataException($"{corpusPath}: line {hitLines[i]} (index row {hits[i].Row}) is blank");
            int rank = i + 1; float score = hits[i].Score; int lineNo = hitLines[i];
            JsonLines.WriteObject(stdout, w =>
            {
                w.WriteNumber("rank", rank);
                w.WriteNumber("score", score);
                w.WriteNumber("line", lineNo);
                w.WriteString("text", text);
            });
        }
        stdout.Flush();
        return 0;
    }

    /// <summary>The float32 vectors of the same corpus, [rows of the index, d].</summary>
    private static NpyReader OpenFloatVectors(string path, NpyReader index, int dimension)
    {
        if (!File.Exists(path)) throw new CliUsageException($"--rescore-vectors {path}: no such file");
        var reader = NpyReader.Open(path);
        if (reader.Descr != "<f4" || reader.Columns != dimension || reader.Rows != index.Rows)
        {
            reader.Dispose();
            throw new InvalidDataException($"{path}: --rescore-vectors needs float32 [{index.Rows}, {dimension}] (the float index of the same corpus), got {reader.Descr} [{reader.Rows}, {reader.Columns}]");
        }
        return reader;
    }

    /// <summary>
    /// float32 for '&lt;f4' [n, d]; int8 / uint8 for '|i1' / '|u1' [n, d]; binary / ubinary for '|i1' / '|u1' [n, ⌈d/8⌉];
    /// anything else an error naming the file and the widths.
    /// </summary>
    internal static EmbeddingPrecision IndexPrecision(NpyReader index, int dimension, string path, string model)
    {
        int packed = (dimension + 7) / 8;
        EmbeddingPrecision? p = index.Descr switch
        {
            "<f4" when index.Columns == dimension => EmbeddingPrecision.Float32,
            "|i1" when index.Columns == dimension => EmbeddingPrecision.Int8,
            "|u1" when index.Columns == dimension => EmbeddingPrecision.UInt8,
            "|i1" when index.Columns == packed => EmbeddingPrecision.Binary,
            "|u1" when index.Columns == packed => EmbeddingPrecision.UBinary,
            _ => null,
        };
        return p ?? throw new InvalidDataException(
            $"{path}: vectors have {index.Columns} dimensions ({index.Descr}, width {index.Columns}), but the model {model} gives {dimension} dimensions " +
            $"(float32/int8/uint8 width {dimension}, binary/ubinary width {packed}); was the index built with another model or --dimensions?");
    }

    /// <summary>The line numbers in INDEX.lines.txt (one per row), or null when there is no sidecar.</summary>
    private static int[]? ReadSidecar(string path, long rows)
    {
        if (!File.Exists(path)) return null;
        var lines = new List<int>();
        int n = 0;
        foreach (string l in File.ReadLines(path))
        {
            n++;
            if (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < 1 || (lines.Count > 0 && v <= lines[^1]))
                throw new InvalidDataException($"{path} line {n}: expected increasing corpus line numbers, got '{l}'");
            lines.Add(v);
        }
        if (lines.Count != rows)
            throw new InvalidDataException($"{path} lists {lines.Count} lines but the index has {rows} rows");
        return lines.ToArray();
    }
}
