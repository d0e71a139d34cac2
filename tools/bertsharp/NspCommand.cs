using BertSharp.Engine.Model.Heads;
using BertSharp.Engine.Tasks;

namespace BertSharp.Cli;

/// <summary>
/// bertsharp nsp --model DIR
/// JSON Lines {"text": A, "text_pair": B} on stdin → {"is_next": p}, the probability that B follows A.
/// </summary>
public static class NspCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, ["--model", ModelOptions.Quantize, "--threads"], []);
        TaskCommands.NoPositional(a, "nsp");
        var pipeline = new NextSentencePipeline(BertForNextSentencePrediction.Load(ModelOptions.ModelFolder(a, stderr), ModelOptions.Load(a))) { MaxThreads = ModelOptions.Threads(a) };
        foreach (var (line, obj) in JsonLines.Read(stdin))
        {
            string text = JsonLines.RequireString(obj, "text", line);
            string pair = JsonLines.RequireString(obj, "text_pair", line);
            float p = TaskCommands.OnLine(line, () => pipeline.IsNext(text, pair));
            JsonLines.WriteObject(stdout, w => w.WriteNumber("is_next", p));
        }
        stdout.Flush();
        return 0;
    }
}
