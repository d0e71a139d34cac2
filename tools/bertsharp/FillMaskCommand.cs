using BertSharp.Engine.Model.Heads;
using BertSharp.Engine.Tasks;

namespace BertSharp.Cli;

/// <summary>
/// bertsharp fill-mask --model DIR [--top-k K]
/// JSON Lines {"text": ..., "text_pair": ...} on stdin, one line out per input:
/// {"masks": [{"position": i, "predictions": [{"id": n, "token": "...", "score": p}, ...]}], "sequence": "..."}.
/// </summary>
public static class FillMaskCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, ["--model", ModelOptions.Quantize, "--threads", "--top-k"], []);
        int topK = a.GetInt("--top-k") ?? 5;
        if (topK < 1) throw new CliUsageException("--top-k must be at least 1");
        TaskCommands.NoPositional(a, "fill-mask");
        var pipeline = new FillMaskPipeline(BertForMaskedLM.Load(ModelOptions.ModelFolder(a, stderr), ModelOptions.Load(a))) { MaxThreads = ModelOptions.Threads(a) };
        foreach (var (line, obj) in JsonLines.Read(stdin))
        {
            string text = JsonLines.RequireString(obj, "text", line);
            string? pair = JsonLines.OptionalString(obj, "text_pair", line);
            FillMaskResult r = TaskCommands.OnLine(line, () => pipeline.Predict(text, pair, topK));
            JsonLines.WriteObject(stdout, w =>
            {
                w.WriteStartArray("masks");
                foreach (MaskPrediction m in r.Masks)
                {
                    w.WriteStartObject();
                    w.WriteNumber("position", m.Position);
                    w.WriteStartArray("predictions");
                    foreach (TokenPrediction p in m.Predictions)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("id", p.Id);
                        w.WriteString("token", p.Token);
                        w.WriteNumber("score", p.Score);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteString("sequence", r.Sequence);
            });
        }
        stdout.Flush();
        return 0;
    }
}
