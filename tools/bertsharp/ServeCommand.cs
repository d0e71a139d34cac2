using System.Globalization;
using BertSharp.Server;

namespace BertSharp.Cli;

/// <summary>
/// bertsharp serve: TEI (/embed, /embed_all, /embed_sparse, /predict, /rerank, /tokenize, /decode, /info, /health,
/// /metrics), OpenAI (/v1/embeddings) and task routes (/token_classification, /question_answering, /fill_mask) over one
/// model, with dynamic batching (BertSharp.Server; docs/server.md). Ctrl+C / SIGTERM lets in-flight requests finish,
/// then exits 0.
/// </summary>
internal static class ServeCommand
{
    private static readonly string[] ValueOptions =
    [
        "--model", "--threads", ModelOptions.Quantize, ModelOptions.EmbeddingTable, "--host", "--port", "--api-key", "--max-batch-tokens", "--max-batch-requests",
        "--max-concurrent-requests", "--max-client-batch-size", "--payload-limit", "--served-model-name",
    ];

    public static int Run(string[] args, TextWriter stderr)
    {
        var a = new CliArgs(args, ValueOptions, ["--auto-truncate"]);
        if (a.Positional.Count > 0) throw new CliUsageException($"serve takes no positional arguments, got '{a.Positional[0]}'");
        string model = a.Require("--model");
        var defaults = new ServerOptions { Model = model };
        Engine.LoadOptions load = ModelOptions.Load(a);
        var options = new ServerOptions
        {
            Model = ModelOptions.ModelFolder(a, stderr),
            ServedModelName = a.Get("--served-model-name") ?? model,
            Host = a.Get("--host") ?? defaults.Host,
            Port = a.GetInt("--port") ?? defaults.Port,
            ApiKey = a.Get("--api-key"),
            MaxBatchTokens = a.GetInt("--max-batch-tokens") ?? defaults.MaxBatchTokens,
            MaxBatchRequests = a.GetInt("--max-batch-requests") ?? defaults.MaxBatchRequests,
            MaxConcurrentRequests = a.GetInt("--max-concurrent-requests") ?? defaults.MaxConcurrentRequests,
            MaxClientBatchSize = a.GetInt("--max-client-batch-size") ?? defaults.MaxClientBatchSize,
            PayloadLimit = PayloadLimit(a) ?? defaults.PayloadLimit,
            AutoTruncate = a.Has("--auto-truncate"),
            Threads = ModelOptions.Threads(a),
            Quantization = load.Quantization,
            WordEmbeddingPrecision = load.WordEmbeddingPrecision,
        };
        try { options.Validate(); }
        catch (ArgumentException e) { throw new CliUsageException(e.Message); }

        BertServer server = BertServer.Create(options);
        try
        {
            server.RunAsync(address => stderr.WriteLine($"bertsharp serve: {options.ServedModelName} on {address} (Ctrl+C to stop)"))
                .GetAwaiter().GetResult();
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        stderr.WriteLine("bertsharp serve: stopped");
        return 0;
    }

    private static long? PayloadLimit(CliArgs a)
    {
        string? v = a.Get("--payload-limit");
        if (v is null) return null;
        return long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n)
            ? n : throw new CliUsageException($"option --payload-limit needs a number of bytes, got '{v}'");
    }
}
