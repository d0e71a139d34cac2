using BertSharp.Engine;

namespace BertSharp.Cli;

/// <summary>bertsharp similarity --model DIR TEXT_A TEXT_B: cosine similarity of the two sentence embeddings.</summary>
public static class SimilarityCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, [.. ModelOptions.ValueOptions, "--pooling"], []);
        if (a.Positional.Count != 2) throw new CliUsageException($"expected exactly two texts, got {a.Positional.Count}");
        PoolingMode? pooling = a.Get("--pooling") is string p ? EmbedCommand.ParsePooling(p) : null;
        var embedder = new SentenceEmbedder(BertModel.Load(ModelOptions.ModelFolder(a, stderr), ModelOptions.Load(a)), pooling) { MaxThreads = ModelOptions.Threads(a) };
        float s = embedder.Similarity(a.Positional[0], a.Positional[1]);
        JsonLines.WriteObject(stdout, w => w.WriteNumber("similarity", s));
        return 0;
    }
}
