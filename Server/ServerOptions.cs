using BertSharp.Engine;

namespace BertSharp.Server;

/// <summary>Settings of <c>bertsharp serve</c> (names follow TEI's launcher flags where TEI has one).</summary>
public sealed class ServerOptions
{
    /// <summary>A model folder or a hub id "org/name[@revision]".</summary>
    public required string Model { get; init; }
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>TCP port; 0 = any free port (tests read it back from <see cref="BertServer.Address"/>).</summary>
    public int Port { get; init; } = 8080;
    /// <summary>When set, every route but /health needs "Authorization: Bearer KEY" (else 401).</summary>
    public string? ApiKey { get; init; }
    /// <summary>Token budget of one forward pass: the batcher stops adding requests when their tokens would exceed it.</summary>
    public int MaxBatchTokens { get; init; } = 16384;
    /// <summary>Requests per forward pass; 1 = no batching across requests.</summary>
    public int MaxBatchRequests { get; init; } = 64;
    /// <summary>Requests queued or running at once; one more is answered 429 (the queue is bounded by this).</summary>
    public int MaxConcurrentRequests { get; init; } = 512;
    /// <summary>Inputs per request; more is answered 413.</summary>
    public int MaxClientBatchSize { get; init; } = 32;
    /// <summary>Largest request body in bytes (TEI's --payload-limit, default 2 MB); larger is answered 413.</summary>
    public long PayloadLimit { get; init; } = 2_000_000;
    /// <summary>Truncate long inputs when a request does not say truncate (TEI's --auto-truncate).</summary>
    public bool AutoTruncate { get; init; }
    /// <summary>The model name in /info and in OpenAI responses; null = the --model argument.</summary>
    public string? ServedModelName { get; init; }
    /// <summary>Thread budget per forward pass (≤ 0 = all cores).</summary>
    public int Threads { get; init; }
    /// <summary>The encoder's weight precision (--quantize int8: <see cref="WeightQuantization.Int8"/>); fp32 by default.</summary>
    public WeightQuantization Quantization { get; init; }
    /// <summary>How the word-embedding table is stored (--embedding-table: <see cref="LoadOptions.WordEmbeddingPrecision"/>);
    /// null = that option's default. <see cref="EmbeddingTablePrecision.File"/> leaves it in the checkpoint file.</summary>
    public EmbeddingTablePrecision? WordEmbeddingPrecision { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException($"--port {Port} must be in 0..65535");
        if (MaxBatchTokens < 1) throw new ArgumentException($"--max-batch-tokens {MaxBatchTokens} must be at least 1");
        if (MaxBatchRequests < 1) throw new ArgumentException($"--max-batch-requests {MaxBatchRequests} must be at least 1");
        if (MaxConcurrentRequests < 1) throw new ArgumentException($"--max-concurrent-requests {MaxConcurrentRequests} must be at least 1");
        if (MaxClientBatchSize < 1) throw new ArgumentException($"--max-client-batch-size {MaxClientBatchSize} must be at least 1");
        if (PayloadLimit < 1) throw new ArgumentException($"--payload-limit {PayloadLimit} must be at least 1");
        if (ApiKey is { Length: 0 }) throw new ArgumentException("--api-key must not be empty");
    }
}
