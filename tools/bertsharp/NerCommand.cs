using BertSharp.Engine.Model.Heads;
using BertSharp.Engine.Tasks;

namespace BertSharp.Cli;

/// <summary>
/// bertsharp ner --model DIR [--aggregation none|simple|first|average|max]   (default simple)
/// JSON Lines {"text": ...} on stdin → {"entities": [{"label", "score", "start", "end", "text"}]}, spans in UTF-16
/// characters of the input text.
/// </summary>
public static class NerCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, ["--model", ModelOptions.Quantize, "--threads", "--aggregation"], []);
        TaskCommands.NoPositional(a, "ner");
        AggregationStrategy strategy = a.Get("--aggregation") switch
        {
            null or "simple" => AggregationStrategy.Simple,
            "none" => AggregationStrategy.None,
            "first" => AggregationStrategy.First,
            "average" => AggregationStrategy.Average,
            "max" => AggregationStrategy.Max,
            string s => throw new CliUsageException($"--aggregation must be none, simple, first, average or max, got '{s}'"),
        };
        var pipeline = new TokenClassificationPipeline(BertForTokenClassification.Load(ModelOptions.ModelFolder(a, stderr), ModelOptions.Load(a))) { MaxThreads = ModelOptions.Threads(a) };
        foreach (var (line, obj) in JsonLines.Read(stdin))
        {
            JsonLines.RejectField(obj, "text_pair", line, "ner takes single texts");
            string text = JsonLines.RequireString(obj, "text", line);
            IReadOnlyList<Entity> entities = TaskCommands.OnLine(line, () => pipeline.Recognize(text, strategy));
            JsonLines.WriteObject(stdout, w =>
            {
                w.WriteStartArray("entities");
                foreach (Entity e in entities)
                {
                    w.WriteStartObject();
                    w.WriteString("label", e.Label);
                    w.WriteNumber("score", e.Score);
                    w.WriteNumber("start", e.Start);
                    w.WriteNumber("end", e.End);
                    w.WriteString("text", e.Text);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
        }
        stdout.Flush();
        return 0;
    }
}
