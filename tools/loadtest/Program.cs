using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using BertSharp.Engine;
using BertSharp.LoadTest;
using BertSharp.Server;

// bertsharp-loadtest --model DIR [--seconds 20] [--clients 64] [--warmup 3] [--threads N] [--url URL] [--diagnose]
// 1. In-process baseline: SentenceEmbedder.Embed on the test sentences, 64 per call, --seconds/2 before and after the
//    HTTP runs (their mean is the baseline: the machine is shared, so one window alone can be off by 10 %).
// 2. For batching on (--max-batch-requests 64) and off (1): a BertServer in this process on 127.0.0.1, and --clients
//    concurrent HTTP clients each sending one sentence per POST /embed, back to back, --warmup s unmeasured then
//    --seconds measured. Reports embeddings/s, p50/p99 latency, server/in-process ratio, batches formed.
// Each rate is also given per CPU-second of this process (embeddings ÷ process CPU time): that ratio is immune to
// other processes taking cores; it charges the HTTP client (same process) to the server, as the wall-clock one does.
// --url: drive a server already running there instead (one run, its own settings), e.g. the NativeAOT binary.
// --diagnose: also the HTTP path alone (POST /tokenize) in CPU-µs per request and the cost of writing one answer.
var ci = CultureInfo.InvariantCulture;
string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
int IntOption(string name, int fallback) => Option(name) is string v ? int.Parse(v, ci) : fallback;

string model = Option("--model") ?? throw new ArgumentException("usage: bertsharp-loadtest --model DIR [--seconds 20] [--clients 64] [--warmup 3] [--threads N] [--url URL] [--diagnose]");
int seconds = IntOption("--seconds", 20), clients = IntOption("--clients", 64), warmup = IntOption("--warmup", 3), threads = IntOption("--threads", 0);
string? url = Option("--url");

var embedder = new SentenceEmbedder(BertModel.Load(model)) { MaxThreads = threads, BatchSize = 64 };
string[] texts = Sentences.Make(1024);
Console.WriteLine($"model {model}; {texts.Length} distinct sentences, e.g. \"{texts[0]}\" ({embedder.Model.RequireTokenizer().Encode(texts[0]).Ids.Length} tokens)");
Console.WriteLine($"machine: {CpuModel()}, {Environment.ProcessorCount} logical CPUs, {RuntimeInformation.FrameworkDescription}, GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}");
float[][] expected = embedder.Embed(texts);

// --- 1. In-process baseline (first half) ---
int baselineSeconds = Math.Max(1, seconds / 2);
InProcess(embedder, texts, warmup, 64);                  // tiered JIT: measure optimised code, as the server runs it
Rate before = InProcess(embedder, texts, baselineSeconds, 64);
Console.WriteLine(string.Create(ci, $"in-process SentenceEmbedder.Embed, 64 sentences per call: {before} (before)"));
Rate half = InProcess(embedder, texts, Math.Max(1, seconds / 4), 32);
Console.WriteLine(string.Create(ci, $"in-process SentenceEmbedder.Embed, 32 sentences per call: {half}"));
if (args.Contains("--diagnose")) Diagnose(embedder, texts, expected, clients, warmup, seconds);

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

// --- 1. In-process baseline (second half) ---
Rate after = InProcess(embedder, texts, baselineSeconds, 64);
Console.WriteLine(string.Create(ci, $"in-process SentenceEmbedder.Embed, 64 sentences per call: {after} (after)"));
var baseline = new Rate((before.PerSecond + after.PerSecond) / 2, (before.PerCpuSecond + after.PerCpuSecond) / 2);

Console.WriteLine();
Console.WriteLine(string.Create(ci, $"{clients} clients, one sentence per request, {seconds} s measured after {warmup} s warm-up:"));
Console.WriteLine($"{"run",-40} {"emb/s",8} {"p50 ms",7} {"p99 ms",7} {"ratio",6} {"emb/CPU-s",10} {"CPU ratio",9} {"errors",6} {"avg batch",9} {"max batch",9}");
bool failed = false;
foreach ((string name, LoadResult r) in results)
{
    string avg = r.Batches > 0 ? (r.TotalCompleted / (double)r.Batches).ToString("F1", ci) : "-";
    string max = r.Batches > 0 ? r.LargestBatch.ToString(ci) : "-";
    Console.WriteLine(string.Create(ci,
        $"{name,-40} {r.Rate.PerSecond,8:F1} {r.P50,7:F1} {r.P99,7:F1} {r.Rate.PerSecond / baseline.PerSecond,6:F3} {r.Rate.PerCpuSecond,10:F1} {r.Rate.PerCpuSecond / baseline.PerCpuSecond,9:F3} {r.Errors,6} {avg,9} {max,9}"));
    failed |= r.Errors > 0 || r.WrongAnswers > 0;
    if (r.WrongAnswers > 0) Console.WriteLine($"  {r.WrongAnswers} answers differed from the in-process vectors");
}
Console.WriteLine(string.Create(ci,
    $"ratio = server ÷ in-process {baseline.PerSecond:F1} embeddings/s (mean of before and after); CPU ratio = the same per CPU-second ({baseline.PerCpuSecond:F1}); goal ≥ 0.9 with batching on"));
return failed ? 1 : 0;

static Rate InProcess(SentenceEmbedder embedder, string[] texts, int seconds, int perCall)
{
    var chunks = new string[texts.Length / perCall][];
    for (int c = 0; c < chunks.Length; c++) chunks[c] = texts.AsSpan(c * perCall, perCall).ToArray();
    embedder.Embed(chunks[0]);
    long done = 0;
    TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    var watch = Stopwatch.StartNew();
    for (int c = 0; watch.Elapsed.TotalSeconds < seconds; c = (c + 1) % chunks.Length)
    {
        embedder.Embed(chunks[c]);
        done += perCall;
    }
    double wall = watch.Elapsed.TotalSeconds, cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
    return new Rate(done / wall, done / cpu);
}

static async Task<LoadResult> RunLoadAsync(Uri address, string[] texts, float[][] expected, int clients, int warmup, int seconds, string route = "/embed")
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
    TimeSpan cpuFrom = TimeSpan.Zero;
    var warmedUp = Task.Delay(TimeSpan.FromSeconds(warmup)).ContinueWith(_ => cpuFrom = Process.GetCurrentProcess().TotalProcessorTime, TaskScheduler.Default);

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
            using HttpResponseMessage response = await http.PostAsync(route, content);
            byte[] answer = await response.Content.ReadAsByteArrayAsync();
            long t1 = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref totalCompleted);
            if (!response.IsSuccessStatusCode) { Interlocked.Increment(ref errors); continue; }
            if (!verified && route == "/embed")
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
    TimeSpan cpuTo = Process.GetCurrentProcess().TotalProcessorTime;    // includes the last requests' tail: < 1 % here
    await warmedUp;
    double[] sorted = latencies.Sorted();
    return new LoadResult(new Rate(completed / (double)seconds, completed / (cpuTo - cpuFrom).TotalSeconds),
        LatencyRecorder.Percentile(sorted, 50), LatencyRecorder.Percentile(sorted, 99), errors, wrong, totalCompleted, 0, 0);
}

// Where the time goes besides the model: (a) the HTTP path alone (POST /tokenize: Kestrel, JSON, tokenizer, and this
// process's HttpClient; no forward pass) in CPU-µs per request; (b) writing one /embed answer as JSON.
static void Diagnose(SentenceEmbedder embedder, string[] texts, float[][] expected, int clients, int warmup, int seconds)
{
    var ci = CultureInfo.InvariantCulture;
    var options = new ServerOptions { Model = "diagnose", Host = "127.0.0.1", Port = 0 };
    BertServer server = BertServer.Create(embedder, options);
    server.StartAsync().GetAwaiter().GetResult();
    LoadResult r = RunLoadAsync(server.Address, texts, expected, clients, warmup, Math.Max(3, seconds / 4), "/tokenize").GetAwaiter().GetResult();
    server.StopAsync().GetAwaiter().GetResult();
    server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    Console.WriteLine(string.Create(ci, $"diagnose: HTTP path alone (POST /tokenize, client in this process): {r.Rate.PerSecond:F0} requests/s, {1e6 / r.Rate.PerCpuSecond:F0} CPU-µs per request"));
    var buffer = new MemoryStream();
    float[][] one = [expected[0]];
    for (int i = 0; i < 2000; i++) { buffer.SetLength(0); JsonSerializer.Serialize(buffer, one, LoadTestJson.Default.SingleArrayArray); }
    var watch = Stopwatch.StartNew();
    for (int i = 0; i < 20000; i++) { buffer.SetLength(0); JsonSerializer.Serialize(buffer, one, LoadTestJson.Default.SingleArrayArray); }
    Console.WriteLine(string.Create(ci, $"diagnose: one {one[0].Length}-float answer as JSON: {watch.Elapsed.TotalMicroseconds / 20000:F1} µs, {buffer.Length} bytes"));
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

/// <summary>Embeddings per wall-clock second and per CPU-second of this process.</summary>
internal readonly record struct Rate(double PerSecond, double PerCpuSecond)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{PerSecond:F1} embeddings/s, {PerCpuSecond:F1} per CPU-second");
}

/// <summary>One load run: measured rate and latency percentiles (ms), failures, and the batcher's counters.</summary>
internal sealed record LoadResult(Rate Rate, double P50, double P99, long Errors, long WrongAnswers, long TotalCompleted, long Batches, int LargestBatch);
