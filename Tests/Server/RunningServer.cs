using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Server;

namespace BertSharp.Tests.Server;

/// <summary>An in-process <see cref="BertServer"/> on 127.0.0.1 (a free port) and an HttpClient pointed at it.</summary>
internal sealed class RunningServer : IAsyncDisposable
{
    public BertServer Server { get; }
    public HttpClient Http { get; }
    public Uri Address => Server.Address;

    private RunningServer(BertServer server, string? apiKey)
    {
        Server = server;
        Http = new HttpClient { BaseAddress = server.Address };
        if (apiKey is not null) Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    }

    /// <param name="configure">server options other than Model, Host and Port</param>
    public static Task<RunningServer> StartAsync(SentenceEmbedder embedder, ServerOptions? options = null, bool paused = false) =>
        StartAsync(new ServedModel(embedder), options, paused);

    /// <summary>A server over a model with a task head (/predict, /rerank, ...).</summary>
    public static async Task<RunningServer> StartAsync(ServedModel model, ServerOptions? options = null, bool paused = false)
    {
        options ??= new ServerOptions { Model = "test-model" };
        var fixedOptions = new ServerOptions
        {
            Model = options.Model, Host = "127.0.0.1", Port = 0, ApiKey = options.ApiKey,
            MaxBatchTokens = options.MaxBatchTokens, MaxBatchRequests = options.MaxBatchRequests,
            MaxConcurrentRequests = options.MaxConcurrentRequests, MaxClientBatchSize = options.MaxClientBatchSize,
            PayloadLimit = options.PayloadLimit, AutoTruncate = options.AutoTruncate, ServedModelName = options.ServedModelName,
            Threads = options.Threads,
        };
        BertServer server = paused ? BertServer.CreatePaused(model, fixedOptions) : BertServer.Create(model, fixedOptions);
        await server.StartAsync();
        return new RunningServer(server, options.ApiKey);
    }

    public Task<HttpResponseMessage> PostAsync(string path, string json, CancellationToken cancellationToken = default) =>
        Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), cancellationToken);

    /// <summary>POSTs and returns the status and the parsed body (null when empty).</summary>
    public async Task<(int Status, JsonElement Body)> PostJsonAsync(string path, string json)
    {
        using HttpResponseMessage response = await PostAsync(path, json);
        string text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static float[][] Vectors(JsonElement body)
    {
        var rows = new float[body.GetArrayLength()][];
        int i = 0;
        foreach (JsonElement row in body.EnumerateArray())
        {
            var v = new float[row.GetArrayLength()];
            int j = 0;
            foreach (JsonElement x in row.EnumerateArray()) v[j++] = x.GetSingle();
            rows[i++] = v;
        }
        return rows;
    }

    public static void AssertClose(float[] expected, float[] actual, float tolerance, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what + ": length");
        float worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        Assert.That(worst, Is.LessThanOrEqualTo(tolerance), what + ": largest |difference|");
    }

    /// <summary>Asserts a TEI error body {"error": "...", "error_type": "..."} with the status, and returns the message.</summary>
    public static string AssertError((int Status, JsonElement Body) r, int status, string errorType)
    {
        Assert.That(r.Status, Is.EqualTo(status), r.Body.ValueKind == JsonValueKind.Undefined ? "(no body)" : r.Body.ToString());
        Assert.That(r.Body.GetProperty("error_type").GetString(), Is.EqualTo(errorType));
        string message = r.Body.GetProperty("error").GetString()!;
        Assert.That(message, Is.Not.Empty);
        return message;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.StopAsync();
        await Server.DisposeAsync();
    }
}
