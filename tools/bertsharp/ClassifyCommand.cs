using BertSharp.Engine.Model.Heads;
using BertSharp.Engine.Tasks;

namespace BertSharp.Cli;

/// <summary>
/// bertsharp classify --model DIR
/// JSON Lines {"text": ..., "text_pair": ...} on stdin → {"label": "...", "scores": {"&lt;label&gt;": p, ...}}.
/// Scores are softmax (single-label), sigmoid (multi-label) or the raw values (regression), per config problem_type.
/// </summary>
public static class ClassifyCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, ["--model", ModelOptions.Quantize, "--threads"], []);
        TaskCommands.NoPositional(a, "classify");
        var pipeline = new TextClassificationPipeline(BertForSequenceClassification.Load(ModelOptions.ModelFolder(a, stderr), ModelOptions.Load(a))) { MaxThreads = ModelOptions.Threads(a) };
        foreach (var (line, obj) in JsonLines.Read(stdin))
        {
            string text = JsonLines.RequireString(obj, "text", line);
            string? pair = JsonLines.OptionalString(obj, "text_pair", line);
            ClassificationResult r = TaskCommands.OnLine(line, () => pipeline.Classify(text, pair));
            JsonLines.WriteObject(stdout, w =>
            {
                w.WriteString("label", r.Label);
                w.WriteStartObject("scores");
                foreach (var (label, score) in r.Scores) w.WriteNumber(label, score);
                w.WriteEndObject();
            });
        }
        stdout.Flush();
        return 0;
    }
}
