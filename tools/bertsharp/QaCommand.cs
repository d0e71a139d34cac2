using BertSharp.Engine.Model.Heads;
using BertSharp.Engine.Tasks;

namespace BertSharp.Cli;

/// <summary>
/// bertsharp qa --model DIR [--max-answer-len N] [--max-seq-len N] [--doc-stride N] [--handle-impossible-answer]
/// JSON Lines {"question": ..., "context": ...} on stdin → {"answer": "...", "score": p, "start": i, "end": j}
/// (character span of the context). Long contexts run as overlapping windows, as the HF QA pipeline.
/// </summary>
public static class QaCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, ["--model", ModelOptions.Quantize, "--threads", "--max-answer-len", "--max-seq-len", "--doc-stride"], ["--handle-impossible-answer"]);
        TaskCommands.NoPositional(a, "qa");
        int maxAnswer = a.GetInt("--max-answer-len") ?? 15;
        if (maxAnswer < 1) throw new CliUsageException("--max-answer-len must be at least 1");
        int? maxSeq = a.GetInt("--max-seq-len"), stride = a.GetInt("--doc-stride");
        if (maxSeq is < 4) throw new CliUsageException("--max-seq-len must be at least 4");
        if (stride is < 0) throw new CliUsageException("--doc-stride must not be negative");
        var pipeline = new QuestionAnsweringPipeline(BertForQuestionAnswering.Load(ModelOptions.ModelFolder(a, stderr), ModelOptions.Load(a)))
        {
            MaxThreads = ModelOptions.Threads(a), MaxAnswerLength = maxAnswer, MaxSequenceLength = maxSeq, DocStride = stride,
            HandleImpossibleAnswer = a.Has("--handle-impossible-answer"),
        };
        foreach (var (line, obj) in JsonLines.Read(stdin))
        {
            string question = JsonLines.RequireString(obj, "question", line);
            string context = JsonLines.RequireString(obj, "context", line);
            QaAnswer r = TaskCommands.OnLine(line, () => pipeline.Answer(question, context));
            JsonLines.WriteObject(stdout, w =>
            {
                w.WriteString("answer", r.Text);
                w.WriteNumber("score", r.Score);
                w.WriteNumber("start", r.Start);
                w.WriteNumber("end", r.End);
            });
        }
        stdout.Flush();
        return 0;
    }
}
