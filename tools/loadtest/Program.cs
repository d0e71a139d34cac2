using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using BertSharp.Engine;
using BertSharp.LoadTest;
using BertSharp.Server;

// bertsharp-loadtest --model DIR [--seconds 20] [--clients 64] [--warmup 3] [--threads N] [--url URL]
// 1. In-process baseline: SentenceEmbedder.Embed on the test sentences, 64 per call, for --seconds.
// 2. For batching on (--max-batch-requests 64) and off (1): a BertServer in this process on 127.0.0.1, and --clients
//    concurrent HTTP clients each sending one sentence per POST /embed, back to back, --warmup s unmeasured then
//    --seconds measured. Reports embeddings/s, p50/p99 latency, server/in-process ratio, batches formed.
// --url: drive a server already running there instead (one run, its own settings), e.g. the NativeAOT binary.
var ci = CultureInfo.InvariantCulture;
string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
int IntOption(string name, int fallback) => Option(name) is string v ? int.Parse(v, ci) : fallback;

string model = Option("--model") ?? throw new ArgumentException("usage: bertsharp-loadtest --model DIR [--seconds 20] [--clients 64] [--warmup 3] [--threads N] [--url URL]");
int seconds = IntOption("--seconds", 20), clients = IntOption("--clients", 64), warmup = IntOption("--warmup", 3), threads = IntOption("--threads", 0);
string? url = Option("--url");

var embedder = new SentenceEmbedder(BertModel.Load(model)) { MaxThreads = threads, BatchSize = 64 };
string[] texts = Sentences.Make(1024);
Console.WriteLine($"model {model}; {texts.Length} distinct sentences, e.g. \"{texts[0]}\" ({embedder.Model.RequireTokenizer().Encode(texts[0]).Ids.Length} tokens)");
Console.WriteLine($"machine: {CpuModel()}, {Environment.ProcessorCount} logical CPUs, {RuntimeInformation.FrameworkDescription}, GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}");
float[][] expected = embedder.Embed(texts);

// --- 1. In-process baseline ---
double baseline = InProcess(embedder, texts, seconds, 64);
Console.WriteLine(string.Create(ci, $"in-process SentenceEmbedder.Embed, 64 sentences per call: {baseline:F1} embeddings/s (the baseline)"));
double half = InProcess(embedder, texts, Math.Max(1, seconds / 4), 32);
Console.WriteLine(string.Create(ci, $"in-process SentenceEmbedder.Embed, 32 sentences per call: {half:F1} embeddings/s"));

// --- 2. Through HTTP ---
var results = new List<(string Name, LoadResult Result)>();
if (url is not null)
{
    results.Add(("server at " + url, await RunLoadAsync(new Uri(url), texts, expected, clients, warmup, seconds)));
}
else
{
    foreach ((string name, int maxBatchRequests) in new[] { ("batching on (--max-batch-requests 64)", 64), ("batching off (--max-batch-requests 1)", 1) })
    {
        var options = new ServerOptions { Model = model, Host = "127.0.0.1", Port = 0, MaxBatchRequests = maxBatchRequests, Threads = threads };
        await using BertServer server = BertServer.Create(embedder, options);
        await server.StartAsync();
        LoadResult r = await RunLoadAsync(server.Address, texts, expected, clients, warmup, seconds);
        r = r with { Batches = server.Batcher.BatchesRun, LargestBatch = server.Batcher.LargestBatch };
        await server.StopAsync();
        results.Add((name, r));
    }
}

Console.WriteLine();
Console.WriteLine(string.Create(ci, $"{clients} clients, one sentence per request, {seconds} s measured after {warmup} s warm-up:"));
Console.WriteLine($"{"run",-40} {"emb/s",9} {"p50 ms",8} {"p99 ms",8} {"ratio",7} {"errors",7} {"avg batch",10} {"max batch",10}");
bool failed = false;
foreach ((string name, LoadResult r) in results)
{
    string avg = r.Batches > 0 ? (r.TotalCompleted / (double)r.Batches).ToString("F1", ci) : "-";
    string max = r.Batches > 0 ? r.LargestBatch.ToString(ci) : "-";
    Console.WriteLine(string.Create(ci,
        $"{name,-40} {r.Throughput,9:F1} {r.P50,8:F1} {r.P99,8:F1} {r.Throughput / baseline,7:F3} {r.Errors,7} {avg,10} {max,10}"));
    failed |= r.Errors > 0 || r.WrongAnswers > 0;
    if (r.WrongAnswers > 0) Console.WriteLine($"  {r.WrongAnswers} answers differed from the in-process vectors");
}
Console.WriteLine(string.Create(ci, $"ratio = server embeddings/s ÷ in-process {baseline:F1} embeddings/s (goal ≥ 0.9 with batching on)"));
return failed ? 1 : 0;

static double InProcess(SentenceEmbedder embedder, string[] texts, int seconds, int perCall)
{
    embedder.Embed(texts.AsSpan(0, perCall).ToArray());
    var chunks = new string[texts.Length / perCall][];
    for (int c = 0; c < chunks.Length; c++) chunks[c] = texts.AsSpan(c * perCall, perCall).ToArray();
    long done = 0;
    var watch = Stopwatch.StartNew();
    for (int c = 0; watch.Elapsed.TotalSeconds < seconds; c = (c + 1) % chunks.Length)
    {
        embedder.Embed(chunks[c]);
        done += perCall;
    }
    return done / watch.Elapsed.TotalSeconds;
}

static async Task<LoadResult> RunLoadAsync(Uri address, string[] texts, float[][] expected, int clients, int warmup, int seconds)
{
    var bodies = new byte[texts.Length][];
    for (int i = 0; i < texts.Length; i++) bodies[i] = Encoding.UTF8.GetBytes("{\"inputs\":" + JsonSerializer.Serialize(texts[i], LoadTestJson.Default.String) + "}");
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
    {
        BaseAddress = address, Timeout = TimeSpan.FromSeconds(120),
    };
    var json = new MediaTypeHeaderValue("application/json");
    var latencies = new LatencyRecorder(clients);
    long start = Stopwatch.GetTimestamp();
    long measureFrom = start + warmup * Stopwatch.Frequency, measureTo = measureFrom + seconds * Stopwatch.Frequency;
    long completed = 0, totalCompleted = 0, errors = 0, wrong = 0;

    async Task ClientAsync(int client)
    {
        int k = client * 16 % texts.Length;
        bool verified = false;
        while (Stopwatch.GetTimestamp() < measureTo)
        {
            int index = k;
            k = (k + 1) % texts.Length;
            using var content = new ByteArrayContent(bodies[index]);
            content.Headers.ContentType = json;
            long t0 = Stopwatch.GetTimestamp();
            using HttpResponseMessage response = await http.PostAsync("/embed", content);
            byte[] answer = await response.Content.ReadAsByteArrayAsync();
            long t1 = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref totalCompleted);
            if (!response.IsSuccessStatusCode) { Interlocked.Increment(ref errors); continue; }
            if (!verified)
            {
                // One answer per client parsed and compared (parsing every answer would load the client's CPU).
                float[] v = JsonSerializer.Deserialize(answer, LoadTestJson.Default.SingleArrayArray)![0];
                float worst = 0;
                for (int j = 0; j < v.Length; j++) worst = Math.Max(worst, Math.Abs(v[j] - expected[index][j]));
                if (v.Length != expected[index].Length || worst > 1e-5f) Interlocked.Increment(ref wrong);
                verified = true;
            }
            if (t1 >= measureFrom && t1 <= measureTo)
            {
                Interlocked.Increment(ref completed);
                latencies.Add(client, (t1 - t0) * 1000.0 / Stopwatch.Frequency);
            }
        }
    }

    var tasks = new Task[clients];
    for (int c = 0; c < clients; c++) { int id = c; tasks[c] = Task.Run(() => ClientAsync(id)); }
    await Task.WhenAll(tasks);
    double[] sorted = latencies.Sorted();
    return new LoadResult(completed / (double)seconds, LatencyRecorder.Percentile(sorted, 50), LatencyRecorder.Percentile(sorted, 99),
        errors, wrong, totalCompleted, 0, 0);
}

static string CpuModel()
{
    try
    {
        foreach (string line in File.ReadLines("/proc/cpuinfo"))
            if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
    }
    catch (IOException) { }
    return RuntimeInformation.ProcessArchitecture.ToString();
}

/// <summary>One load run: measured embeddings/s and latency percentiles (ms), failures, and the batcher's counters.</summary>
internal sealed record LoadResult(double Throughput, double P50, double P99, long Errors, long WrongAnswers, long TotalCompleted, long Batches, int LargestBatch);
