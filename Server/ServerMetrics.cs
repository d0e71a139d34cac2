using System.Diagnostics.Metrics;

namespace BertSharp.Server;

/// <summary>
/// The server's instruments (System.Diagnostics.Metrics, meter "BertSharp.Server": an OpenTelemetry host can collect
/// them too), named as TEI names its Prometheus metrics so its dashboards apply: te_request_count{route, outcome,
/// status}, te_queue_size, te_batch_next_size, te_batch_next_tokens, and the durations in seconds
/// te_request_duration / te_request_tokenization_duration / te_request_queue_duration / te_request_inference_duration
/// {route}. GET /metrics writes them in Prometheus text (<see cref="PrometheusExposition"/>).
/// </summary>
public sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "BertSharp.Server";
    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration, _tokenization, _queue, _inference, _batchSize, _batchTokens, _inputLength;

    /// <summary>Prometheus text of every instrument above.</summary>
    public PrometheusExposition Exposition { get; }

    /// <param name="queueSize">read at each scrape: requests waiting in the queue</param>
    public ServerMetrics(Func<int> queueSize, int maxInputLength)
    {
        _meter = new Meter(MeterName);
        _requests = _meter.CreateCounter<long>("te_request_count", description: "Requests by route and outcome (success, client_error, server_error) and HTTP status");
        _meter.CreateObservableGauge("te_queue_size", () => queueSize(), description: "Requests waiting for a batch");
        _batchSize = _meter.CreateHistogram<double>("te_batch_next_size", description: "Inputs per forward pass");
        _batchTokens = _meter.CreateHistogram<double>("te_batch_next_tokens", description: "Tokens per forward pass");
        _inputLength = _meter.CreateHistogram<double>("te_request_input_length", description: "Tokens per input after truncation");
        _duration = _meter.CreateHistogram<double>("te_request_duration", "s", "Request time, read to answer");
        _tokenization = _meter.CreateHistogram<double>("te_request_tokenization_duration", "s", "Tokenization time per request");
        _queue = _meter.CreateHistogram<double>("te_request_queue_duration", "s", "Time a request waited in the queue");
        _inference = _meter.CreateHistogram<double>("te_request_inference_duration", "s", "Forward-pass time of the batch a request ran in");

        // TEI's buckets (router/src/prometheus.rs): durations 1e-5·1.5^k (k = 1..35); sizes and tokens powers of 2.
        var durations = new double[35];
        double d = 0.00001;
        for (int k = 0; k < durations.Length; k++) durations[k] = d *= 1.5;
        Exposition = new PrometheusExposition(_meter, new Dictionary<string, double[]>
        {
            ["te_request_duration"] = durations, ["te_request_tokenization_duration"] = durations,
            ["te_request_queue_duration"] = durations, ["te_request_inference_duration"] = durations,
            ["te_batch_next_size"] = Powers(13, int.MaxValue), ["te_batch_next_tokens"] = Powers(21, int.MaxValue),
            ["te_request_input_length"] = Powers(20, maxInputLength),
        });
    }

    private static double[] Powers(int count, int max)
    {
        var list = new List<double>(count);
        for (int k = 0; k < count && (1L << k) <= max; k++) list.Add(1L << k);
        return [.. list];
    }

    public void Request(string route, int status, double seconds)
    {
        string outcome = status < 400 ? "success" : status < 500 ? "client_error" : "server_error";
        _requests.Add(1, new("route", route), new("outcome", outcome), new("status", status));
        _duration.Record(seconds, new KeyValuePair<string, object?>("route", route));
    }

    public void Tokenization(string route, double seconds) => _tokenization.Record(seconds, new KeyValuePair<string, object?>("route", route));
    public void Queue(string route, double seconds) => _queue.Record(seconds, new KeyValuePair<string, object?>("route", route));
    public void Inference(string route, double seconds) => _inference.Record(seconds, new KeyValuePair<string, object?>("route", route));
    public void InputLength(int tokens) => _inputLength.Record(tokens);

    /// <param name="tokens">null when the library tokenized the inputs itself (the route did not count them)</param>
    public void Batch(int inputs, int? tokens)
    {
        _batchSize.Record(inputs);
        if (tokens is int n) _batchTokens.Record(n);
    }

    public void Dispose()
    {
        Exposition.Dispose();
        _meter.Dispose();
    }
}
