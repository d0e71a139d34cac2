using BertSharp.Engine;
using BertSharp.Weights.Hub;

namespace BertSharp.Cli;

/// <summary>Options shared by the model commands: --model, --threads, --quantize, --long-inputs, --max-length, --stride.</summary>
internal static class ModelOptions
{
    public static readonly string[] ValueOptions = ["--model", "--threads", Quantize, EmbeddingTable, "--long-inputs", "--max-length", "--stride"];

    /// <summary>--embedding-table fp32|f16|int8|file: how the word-embedding table is stored (<see cref="LoadOptions.WordEmbeddingPrecision"/>;
    /// default fp32, int8 with --quantize int8). Taken by the commands that take <see cref="ValueOptions"/>.</summary>
    public const string EmbeddingTable = "--embedding-table";

    /// <summary>--quantize none|int8: the encoder's weight precision (<see cref="LoadOptions.Quantization"/>).</summary>
    public const string Quantize = "--quantize";

    /// <summary>The load options of --quantize (default none = fp32); hub settings come with <see cref="ModelFolder"/>.</summary>
    public static LoadOptions Load(CliArgs a)
    {
        LoadOptions options = a.Get(Quantize) switch
        {
            null or "none" or "fp32" => LoadOptions.Default,
            "int8" => new LoadOptions { Quantization = WeightQuantization.Int8 },
            string other => throw new CliUsageException($"{Quantize} must be none or int8, got '{other}'"),
        };
        return a.Get(EmbeddingTable) switch
        {
            null => options,
            "fp32" => options with { WordEmbeddingPrecision = EmbeddingTablePrecision.Float32 },
            "f16" => options with { WordEmbeddingPrecision = EmbeddingTablePrecision.Float16 },
            "int8" => options with { WordEmbeddingPrecision = EmbeddingTablePrecision.Int8 },
            "file" => options with { WordEmbeddingPrecision = EmbeddingTablePrecision.File },
            string other => throw new CliUsageException($"{EmbeddingTable} must be fp32, f16, int8 or file, got '{other}'"),
        };
    }

    public static int Threads(CliArgs a) => a.GetInt("--threads") ?? 0;

    /// <summary>
    /// The folder for --model: a folder as given, or a hub id ("org/name[@revision]") resolved through the Hugging Face
    /// cache and downloaded when absent (HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE / HF_HOME, HF_HUB_OFFLINE), with a
    /// progress bar when stderr is a terminal.
    /// </summary>
    public static string ModelFolder(CliArgs a, TextWriter stderr)
    {
        string model = a.Require("--model");
        bool terminal = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
        HubOptions hub = HubOptions.FromEnvironment() with { Progress = terminal ? new DownloadProgressBar(stderr) : null };
        return ModelResolver.Resolve(model, hub);
    }

    /// <summary>null when no flag was given (the caller keeps its default).</summary>
    public static LongInputOptions? LongInputs(CliArgs a)
    {
        string? policy = a.Get("--long-inputs");
        int? max = a.GetInt("--max-length"), stride = a.GetInt("--stride");
        if (policy is null && max is null && stride is null) return null;
        var p = policy switch
        {
            null or "error" => LongInputPolicy.Error,
            "truncate" => LongInputPolicy.Truncate,
            "window" => LongInputPolicy.SlidingWindow,
            _ => throw new CliUsageException($"--long-inputs must be error, truncate or window, got '{policy}'"),
        };
        return new LongInputOptions { Policy = p, MaxLength = max, Stride = stride ?? 128 };
    }
}
