using System.Diagnostics;
using BertSharp.Engine;
using BertSharp.Weights;

namespace BertSharp.Cli;

/// <summary>
/// bertsharp bench --model DIR|--synthetic PRESET [--batch B] [--seq S] [--threads N] [--runs R] [--quantize int8] [--embedding-table ...]
/// --synthetic bert-base-uncased: that architecture with random weights (fixed seed), see <see cref="SyntheticCheckpoint"/>.
/// Warms up, runs R forward passes on synthetic ids of shape [B, S], prints one JSON line with the timings and the
/// achieved GFLOP/s (matrix-multiply FLOPs of the encoder: projections, FFN, and attention's two products).
/// </summary>
public static class BenchCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, ["--model", ModelOptions.Quantize, ModelOptions.EmbeddingTable, "--synthetic", "--batch", "--seq", "--threads", "--runs"], []);
        int batch = a.GetInt("--batch") ?? 1, seq = a.GetInt("--seq") ?? 128, threads = a.GetInt("--threads") ?? 0, runs = a.GetInt("--runs") ?? 20;
        if (batch < 1 || seq < 2 || runs < 1) throw new CliUsageException("--batch ≥ 1, --seq ≥ 2 and --runs ≥ 1 are required");
        LoadOptions load = ModelOptions.Load(a);
        BertModel model = a.Get("--synthetic") is string preset ? LoadSynthetic(preset, load) : BertModel.Load(ModelOptions.ModelFolder(a, stderr), load);
        if (seq > model.Config.MaxTokens)
            throw new CliUsageException($"--seq {seq} exceeds the model's max_position_embeddings {model.Config.MaxTokens}");

        var rng = new Random(42);
        var ids = new int[batch * seq];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < seq; t++)
                ids[b * seq + t] = t == 0 ? 101 % model.Config.VocabSize : t == seq - 1 ? 102 % model.Config.VocabSize : rng.Next(model.Config.VocabSize);
        var input = new BertBatch(batch, seq, ids);
        var options = new RunOptions { MaxThreads = threads };

        for (int i = 0; i < Math.Max(2, runs / 5); i++) model.Run(input, options);   // warm-up: JIT, pools, caches
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            model.Run(input, options);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        double median = runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
        double gflops = EncoderCost.Flops(model.Config, batch, seq) / (median / 1000) / 1e9;
        int resolvedThreads = threads <= 0 ? Environment.ProcessorCount : threads;
        JsonLines.WriteObject(stdout, w =>
        {
            if (a.Get("--synthetic") is string preset) w.WriteString("synthetic", preset);
            w.WriteNumber("batch", batch); w.WriteNumber("seq", seq); w.WriteNumber("threads", resolvedThreads);
            w.WriteString("quantize", model.Quantization == WeightQuantization.Int8 ? "int8" : "none");
            if (model.Quantization == WeightQuantization.Int8) w.WriteString("int8_path", Engine.Kernels.Int8Gemm.BestPath.ToString());
            w.WriteString("embedding_table", model.Embeddings.WordEmbeddingTable.Precision.ToString());
            w.WriteNumber("median_ms", Math.Round(median, 3)); w.WriteNumber("min_ms", Math.Round(times[0], 3));
            w.WriteNumber("max_ms", Math.Round(times[^1], 3)); w.WriteNumber("gflops", Math.Round(gflops, 1));
        });
        return 0;
    }

    /// <summary>Writes the preset to a temporary folder, loads it (the model keeps its own weights) and deletes the folder.</summary>
    private static BertModel LoadSynthetic(string preset, LoadOptions load)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"bertsharp-synthetic-{preset}-{Environment.ProcessId}");
        if (!SyntheticCheckpoint.Presets.ContainsKey(preset))
            throw new CliUsageException($"unknown synthetic preset '{preset}'; known: {string.Join(", ", SyntheticCheckpoint.Presets.Keys)}");
        try
        {
            SyntheticCheckpoint.Write(preset, dir);
            return BertModel.Load(dir, load);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
