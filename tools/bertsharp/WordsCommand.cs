using BertSharp.Engine;

namespace BertSharp.Cli;

/// <summary>
/// bertsharp words --model DIR [--aggregation mean|first] [--last-four]
/// JSON Lines {"text": ...} on stdin → {"words": [{"word": "...", "start": i, "end": j, "embedding": [...]}]}:
/// contextual word vectors (word pieces merged by mean or first; --last-four sums the last four layers, the BERT
/// paper's feature recipe, instead of using the last layer).
/// </summary>
public static class WordsCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, ["--model", ModelOptions.Quantize, "--threads", "--aggregation"], ["--last-four"]);
        TaskCommands.NoPositional(a, "words");
        WordPieceAggregation aggregation = a.Get("--aggregation") switch
        {
            null or "mean" => WordPieceAggregation.Mean,
            "first" => WordPieceAggregation.First,
            string s => throw new CliUsageException($"--aggregation must be mean or first, got '{s}'"),
        };
        bool lastFour = a.Has("--last-four");
        var model = BertModel.Load(ModelOptions.ModelFolder(a, stderr), ModelOptions.Load(a));
        int threads = ModelOptions.Threads(a);
        foreach (var (line, obj) in JsonLines.Read(stdin))
        {
            JsonLines.RejectField(obj, "text_pair", line, "words takes single texts");
            string text = JsonLines.RequireString(obj, "text", line);
            var words = TaskCommands.OnLine(line, () => ContextualWordVectors.Compute(model, text, aggregation, lastFour, threads));
            JsonLines.WriteObject(stdout, w =>
            {
                w.WriteStartArray("words");
                foreach (WordVector v in words)
                {
                    w.WriteStartObject();
                    w.WriteString("word", v.Text);
                    w.WriteNumber("start", v.Start);
                    w.WriteNumber("end", v.End);
                    JsonLines.WriteFloats(w, "embedding", v.Vector);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
        }
        stdout.Flush();
        return 0;
    }
}
