using System.Globalization;
using BertSharp.Engine;

namespace BertSharp.Cli;

/// <summary>
/// bertsharp search --model DIR --index vectors.npy --corpus corpus.jsonl [--top-k K] "query"
/// Embeds the query with the same recipe as `embed` (same --pooling/--normalize options), scans the index row by row
/// (flat memory) for the top-k cosine similarities, and prints one {"rank", "score", "line", "text"} line per hit.
/// Row i of the index is the i-th record (non-blank line) of the corpus, or, when the index has the sidecar
/// INDEX.lines.txt written by `embed --skip-bad-lines`, the corpus line named on line i of it.
/// </summary>
public static class SearchCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, [.. ModelOptions.ValueOptions, "--pooling", "--index", "--corpus", "--top-k"], ["--normalize", "--no-normalize"]);
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

        var model = BertModel.Load(ModelOptions.ModelFolder(a, stderr));
        var embedder = new SentenceEmbedder(model, pooling, normalize, ModelOptions.LongInputs(a)) { MaxThreads = ModelOptions.Threads(a) };

        using var index = NpyReader.Open(indexPath);
        if (index.Columns != model.Config.HiddenSize)
            throw new InvalidDataException($"{indexPath}: vectors have {index.Columns} dimensions, the model {a.Require("--model")} gives {model.Config.HiddenSize}; was the index built with another model?");
        int[]? rowLines = ReadSidecar(EmbedCommand.LinesSidecar(indexPath), index.Rows);

        float[] q = embedder.Embed(query);
        var hits = TopK(index, q, topK);

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

    /// <summary>The k rows most cosine-similar to <paramref name="query"/>, best first (ties: lower row first).</summary>
    public static List<(long Row, float Score)> TopK(NpyReader index, float[] query, int k)
    {
        var best = new List<(long Row, float Score)>(k + 1);
        var row = new float[index.Columns];
        for (long r = 0; index.ReadRow(row); r++)
        {
            float s = VectorMath.CosineSimilarity(query, row);
            if (best.Count == k && s <= best[^1].Score) continue;
            int at = best.Count;
            while (at > 0 && best[at - 1].Score < s) at--;
            best.Insert(at, (r, s));
            if (best.Count > k) best.RemoveAt(k);
        }
        return best;
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
