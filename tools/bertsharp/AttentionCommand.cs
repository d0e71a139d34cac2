using System.Globalization;
using BertSharp.Engine;
using BertSharp.Engine.Model.Reference;

namespace BertSharp.Cli;

/// <summary>
/// bertsharp attention --model DIR --layer L --head H --output FILE.svg [--query I] TEXT
/// Runs one text, takes the attention probabilities [len, len] of layer L (0-based), head H from the engine, and writes
/// them as an SVG heatmap (<see cref="AttentionHeatmap"/>). On stdout: per query token, the key it attends to most.
/// --query I (a token position) also prints that row in full: the head's q·kᵀ/√d scores, recomputed by
/// the reference encoder (<see cref="ReferenceBertModel.Layer"/>), their softmax, and the engine's probabilities for comparison.
/// </summary>
public static class AttentionCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, ["--model", ModelOptions.Quantize, "--layer", "--head", "--output", "--query", "--threads"], []);
        string modelDir = a.Require("--model"), outputPath = a.Require("--output");
        int layer = a.GetInt("--layer") ?? throw new CliUsageException("missing required option --layer");
        int head = a.GetInt("--head") ?? throw new CliUsageException("missing required option --head");
        int? query = a.GetInt("--query");
        if (a.Positional.Count != 1) throw new CliUsageException($"attention takes exactly one TEXT argument, got {a.Positional.Count}");
        string text = a.Positional[0];

        var model = BertModel.Load(ModelOptions.ModelFolder(a, stderr), ModelOptions.Load(a));
        int layers = model.Config.NumHiddenLayers, heads = model.Config.NumAttentionHeads;
        if (layer < 0 || layer >= layers) throw new CliUsageException($"--layer {layer} is out of range: the model has {layers} layers (0..{layers - 1})");
        if (head < 0 || head >= heads) throw new CliUsageException($"--head {head} is out of range: the model has {heads} heads per layer (0..{heads - 1})");

        ModelOutput o = model.Run([text], null, new RunOptions { OutputAttentions = true, OutputHiddenStates = query is not null, MaxThreads = a.GetInt("--threads") ?? 0 });
        int t = o.SequenceLength, len = o.Batch.ActiveLength(0);
        if (query is < 0 || query >= len) throw new CliUsageException($"--query {query} is out of range: the text has {len} tokens (0..{len - 1})");
        string[] tokens = o.Batch.Encodings![0].Tokens[..len];
        float[] probs = new float[len * len];
        ReadOnlySpan<float> all = o.Attentions![layer].AsSpan(head * t * t, t * t);
        for (int i = 0; i < len; i++) all.Slice(i * t, len).CopyTo(probs.AsSpan(i * len, len));

        string title = $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDir)))} · layer {layer} · head {head} · \"{text}\"";
        File.WriteAllText(outputPath, AttentionHeatmap.Render(title, tokens, probs));

        var ci = CultureInfo.InvariantCulture;
        stdout.WriteLine($"layer {layer}, head {head}: {len} tokens; strongest key per query token");
        for (int i = 0; i < len; i++)
        {
            int best = 0;
            for (int j = 1; j < len; j++) if (probs[i * len + j] > probs[i * len + best]) best = j;
            stdout.WriteLine(string.Create(ci, $"  {i,3} {tokens[i],-14} -> {best,3} {tokens[best],-14} {probs[i * len + best]:F3}"));
        }
        if (query is int qi)
        {
            ReferenceLayerTrace probe = ReferenceBertModel.Load(model.Directory)
                .Layer(layer, o.HiddenStates![layer].AsSpan(0, len * o.HiddenSize).ToArray(), len, o.AttentionMask.AsSpan(0, len));
            stdout.WriteLine($"query token {qi} '{tokens[qi]}', head dim d = {probe.HeadDim}: score = q·k/√d, softmax over the row");
            stdout.WriteLine($"  {"key",-18} {"q·k/√d",10} {"softmax",10} {"engine",10}");
            for (int j = 0; j < len; j++)
            {
                int at = (head * len + qi) * len + j;
                stdout.WriteLine(string.Create(ci, $"  {j,3} {tokens[j],-14} {probe.Scores[at],10:F4} {probe.Probabilities[at],10:F4} {probs[qi * len + j],10:F4}"));
            }
        }
        stdout.WriteLine($"wrote {outputPath}");
        return 0;
    }
}
