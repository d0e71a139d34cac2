using BertSharp.Engine;

namespace BertSharp.Cli;

/// <summary>
/// `bertsharp embed --sparse --model DIR [--top-k K] [--batch-size N] [TEXT ...]`: SPLADE vectors of a
/// BertForMaskedLM checkpoint (<see cref="SparseEncoder"/>), one {"sparse": [{"index": id, "value": w}, ...]} line per
/// text (TEI /embed_sparse), weights descending; texts from the arguments or JSON Lines {"text": ...} on stdin.
/// </summary>
internal static class SparseEmbed
{
    public static int Run(CliArgs a, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        foreach (string option in new[] { "--pooling", "--normalize", "--no-normalize", "--input", "--output", "--window", "--progress",
                     "--skip-bad-lines", "--prompt-name", "--prompt", "--dimensions", "--precision", "--ranges", "--long-inputs", "--stride" })
            if (a.Has(option)) throw new CliUsageException($"{option} does not go with --sparse");
        int? topK = a.GetInt("--top-k");
        if (topK is < 1) throw new CliUsageException("--top-k must be at least 1");
        int batchSize = a.GetInt("--batch-size") ?? 32;
        if (batchSize < 1) throw new CliUsageException("--batch-size must be at least 1");
        var encoder = new SparseEncoder(Engine.Model.Heads.BertForMaskedLM.Load(ModelOptions.ModelFolder(a, stderr), ModelOptions.Load(a)))
            { MaxThreads = ModelOptions.Threads(a), BatchSize = batchSize };
        if (a.Positional.Count > 0)
        {
            Write(encoder.Encode(a.Positional, topK), stdout);
            return 0;
        }
        var batch = new List<string>(batchSize);
        foreach (var (line, obj) in JsonLines.Read(stdin))
        {
            batch.Add(JsonLines.RequireString(obj, "text", line));
            if (batch.Count == batchSize) { Write(encoder.Encode(batch, topK), stdout); batch.Clear(); }
        }
        if (batch.Count > 0) Write(encoder.Encode(batch, topK), stdout);
        return 0;
    }

    private static void Write(SparseVector[] vectors, TextWriter stdout)
    {
        foreach (SparseVector v in vectors)
            JsonLines.WriteObject(stdout, w =>
            {
                w.WriteStartArray("sparse");
                for (int k = 0; k < v.Count; k++)
                {
                    w.WriteStartObject();
                    w.WriteNumber("index", v.Indices[k]);
                    w.WriteNumber("value", v.Values[k]);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
        stdout.Flush();
    }
}
