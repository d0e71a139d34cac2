using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Engine.SentenceTransformers;

namespace BertSharp.Cli;

/// <summary>
/// bertsharp rerank --model DIR [--top-k K] [--raw-scores] [--batch-size N]
/// JSON Lines {"query": ..., "documents": [...]} on stdin → one {"results": [{"index": i, "score": s, "text": ...}, ...]}
/// line per input, best first (equal scores in input order), with a one-label cross-encoder
/// (<see cref="CrossEncoder"/>: its activation — sigmoid by default — or the raw logits with --raw-scores).
/// </summary>
public static class RerankCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, ["--model", ModelOptions.Quantize, "--threads", "--top-k", "--batch-size"], ["--raw-scores"]);
        TaskCommands.NoPositional(a, "rerank");
        int? topK = a.GetInt("--top-k");
        if (topK is < 1) throw new CliUsageException("--top-k must be at least 1");
        int batchSize = a.GetInt("--batch-size") ?? 32;
        if (batchSize < 1) throw new CliUsageException("--batch-size must be at least 1");
        var model = Engine.Model.Heads.BertForSequenceClassification.Load(ModelOptions.ModelFolder(a, stderr), ModelOptions.Load(a));
        var encoder = new CrossEncoder(model) { MaxThreads = ModelOptions.Threads(a), BatchSize = batchSize };
        if (encoder.NumLabels != 1)
            throw new BertInputException($"rerank needs a cross-encoder with one label; {a.Require("--model")} has {encoder.NumLabels} ({string.Join(", ", model.Labels)}); use classify for pairs");
        TorchActivation? activation = a.Has("--raw-scores") ? TorchActivation.Identity : null;
        foreach (var (line, obj) in JsonLines.Read(stdin))
        {
            string query = JsonLines.RequireString(obj, "query", line);
            string[] documents = Documents(obj, line);
            IReadOnlyList<RerankResult> results = TaskCommands.OnLine(line, () => encoder.Rerank(query, documents, topK, activation));
            JsonLines.WriteObject(stdout, w =>
            {
                w.WriteStartArray("results");
                foreach (RerankResult r in results)
                {
                    w.WriteStartObject();
                    w.WriteNumber("index", r.Index);
                    w.WriteNumber("score", r.Score);
                    w.WriteString("text", r.Text);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
        }
        stdout.Flush();
        return 0;
    }

    private static string[] Documents(JsonElement obj, int line)
    {
        if (!obj.TryGetProperty("documents", out JsonElement docs) || docs.ValueKind != JsonValueKind.Array)
            throw new CliUsageException($"stdin line {line}: field \"documents\" must be an array of strings");
        var list = new string[docs.GetArrayLength()];
        int i = 0;
        foreach (JsonElement d in docs.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.String) throw new CliUsageException($"stdin line {line}: documents[{i}] is not a string");
            list[i++] = d.GetString()!;
        }
        return list;
    }
}
