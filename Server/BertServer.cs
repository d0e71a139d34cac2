using BertSharp.Engine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BertSharp.Server;

/// <summary>
/// The HTTP server: one <see cref="SentenceEmbedder"/> (loaded once), one <see cref="EmbeddingBatcher"/>, Kestrel via
/// <see cref="WebApplication.CreateSlimBuilder()"/>. Stopping (Ctrl+C / SIGTERM, or <see cref="StopAsync"/>) stops
/// accepting connections, lets in-flight requests finish, then drains the batcher.
/// </summary>
/// <example>
/// await using var server = BertServer.Create(new ServerOptions { Model = "sentence-transformers/all-MiniLM-L6-v2" });
/// await server.RunAsync();   // until Ctrl+C / SIGTERM
/// </example>
public sealed class BertServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _disposed;

    public SentenceEmbedder Embedder => Model.Embedder;
    /// <summary>The model and the task APIs its head offers.</summary>
    public ServedModel Model { get; }
    public EmbeddingBatcher Batcher { get; }
    /// <summary>The instruments GET /metrics writes.</summary>
    public ServerMetrics Metrics { get; }
    public ServerOptions Options { get; }

    /// <summary>The bound address (e.g. http://127.0.0.1:8080) once started.</summary>
    public Uri Address => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    private BertServer(ServedModel model, ServerOptions options, Action<ILoggingBuilder>? logging, bool pauseBatcher = false)
    {
        options.Validate();
        Model = model;
        SentenceEmbedder embedder = model.Embedder;
        Options = options;
        Batcher = new EmbeddingBatcher(embedder, options.MaxBatchTokens, options.MaxBatchRequests, options.MaxConcurrentRequests, pauseBatcher);
        Metrics = new ServerMetrics(() => Batcher.QueueLength, embedder.MaxInputLength());
        Batcher.Metrics = Metrics;

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logging is not null) logging(builder.Logging);
        builder.WebHost.UseUrls($"http://{options.Host}:{options.Port}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.PayloadLimit);
        builder.Services.ConfigureHttpJsonOptions(j => j.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJsonContext.Web));
        _app = builder.Build();
        var errors = new ErrorHandling(options.ApiKey);
        _app.Use(new RequestMetrics(Metrics).InvokeAsync);
        _app.Use(errors.InvokeAsync);
        var preparation = new EmbedPreparation(embedder, options, Metrics);
        var admission = new Admission(options.MaxConcurrentRequests);
        new EmbeddingRoutes(embedder, Batcher, preparation, options, admission, model.TeiModelType()).Map(_app);
        new TaskRoutes(model, Batcher, preparation, options, admission).Map(_app);
        MetricsRoute.Map(_app, Metrics);
        TeachingPage.Map(_app, embedder, options);
    }

    /// <summary>Loads the model (a clear exception when it is missing or broken) and builds the server.</summary>
    /// <param name="logging">configures ASP.NET Core logging (none by default)</param>
    public static BertServer Create(ServerOptions options, Action<ILoggingBuilder>? logging = null)
    {
        options.Validate();
        return new BertServer(ServedModel.Load(options.Model, options.Threads, Math.Max(32, options.MaxBatchRequests),
            new LoadOptions { Quantization = options.Quantization, WordEmbeddingPrecision = options.WordEmbeddingPrecision }), options, logging);
    }

    /// <summary>A server over an embedder already loaded (tests; hosts that share one model).</summary>
    public static BertServer Create(SentenceEmbedder embedder, ServerOptions options, Action<ILoggingBuilder>? logging = null) =>
        new(new ServedModel(embedder), options, logging);

    /// <summary>A server over a model (and task head) already loaded.</summary>
    public static BertServer Create(ServedModel model, ServerOptions options, Action<ILoggingBuilder>? logging = null) =>
        new(model, options, logging);

    /// <summary>Tests: a server whose batcher waits for <see cref="EmbeddingBatcher.Resume"/>.</summary>
    internal static BertServer CreatePaused(ServedModel model, ServerOptions options) => new(model, options, null, pauseBatcher: true);

    public Task StartAsync(CancellationToken cancellationToken = default) => _app.StartAsync(cancellationToken);

    /// <summary>Stops accepting, waits for in-flight requests (up to the host's shutdown timeout), then returns.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <summary>Runs until Ctrl+C / SIGTERM; in-flight requests complete before it returns.</summary>
    /// <param name="started">called with <see cref="Address"/> once the server listens</param>
    public async Task RunAsync(Action<Uri>? started = null)
    {
        await _app.StartAsync().ConfigureAwait(false);
        started?.Invoke(Address);
        await _app.WaitForShutdownAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _app.DisposeAsync().ConfigureAwait(false);
        await Batcher.DisposeAsync().ConfigureAwait(false);
        Metrics.Dispose();
    }
}
