using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace BertSharp.Tests.Weights.Hub;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 (free port) speaking the hub's file protocol for the hub tests:
/// <c>HEAD|GET /{org}/{name}/resolve/{main|commit}/{path}</c>. Small files answer 200 with ETag (git blob sha1) and
/// X-Repo-Commit; *.safetensors answer 302 to <c>/lfs/{sha256}</c> (relative, like the hub's CDN redirect) with
/// X-Linked-Etag (sha256) and X-Linked-Size; /lfs serves bytes with Range support. Missing files: 404 with
/// X-Error-Code EntryNotFound; unknown repos: 401 RepoNotFound. Faults on request: drop the connection mid-file once,
/// or announce a wrong sha256. One request per connection (Connection: close). Every request is recorded.
/// </summary>
internal sealed class HubTestServer : IDisposable
{
    public const string Commit = "4f1c0a7e9b2d3c5e6f708192a3b4c5d6e7f80912";

    public sealed record Request(string Method, string Path, string? Range, string? Authorization);

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ConcurrentDictionary<string, Dictionary<string, byte[]>> _repos = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _lfs = new(StringComparer.Ordinal);
    private int _dropOnce;

    public ConcurrentQueue<Request> Requests { get; } = new();
    public string Endpoint { get; }
    /// <summary>When ≥ 0: the next full GET of an LFS blob sends this many bytes and closes the connection.</summary>
    public int DropNextBlobAfterBytes { get => _dropOnce; set => _dropOnce = value; }
    /// <summary>Files (repo path) whose X-Linked-Etag announces a wrong sha256.</summary>
    public HashSet<string> WrongShaFor { get; } = new(StringComparer.Ordinal);
    /// <summary>When set (another server's endpoint), LFS redirects point there, as the hub's point at its CDN.</summary>
    public string? LfsHost { get; set; }

    public HubTestServer()
    {
        _dropOnce = -1;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Endpoint = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _loop = Task.Run(AcceptLoop);
    }

    public void AddRepo(string repoId, IReadOnlyDictionary<string, byte[]> files)
    {
        var copy = new Dictionary<string, byte[]>(files, StringComparer.Ordinal);
        _repos[repoId] = copy;
        foreach (var (path, bytes) in copy)
            if (IsLfs(path)) _lfs[Sha256(bytes)] = bytes;
    }

    public int Count(string method, string pathContains) =>
        Requests.Count(r => r.Method == method && r.Path.Contains(pathContains, StringComparison.Ordinal));

    public static bool IsLfs(string path) => path.EndsWith(".safetensors", StringComparison.Ordinal);
    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
    /// <summary>git's blob id: sha1("blob {size}\0" + content), the hub's ETag for non-LFS files.</summary>
    public static string GitBlobSha1(byte[] bytes)
    {
        byte[] header = Encoding.ASCII.GetBytes($"blob {bytes.Length}\0");
        return Convert.ToHexStringLower(SHA1.HashData([.. header, .. bytes]));
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    private void Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                client.ReceiveTimeout = 10_000;
                NetworkStream stream = client.GetStream();
                var (method, target, headers) = ReadRequest(stream);
                headers.TryGetValue("range", out string? range);
                headers.TryGetValue("authorization", out string? auth);
                Requests.Enqueue(new Request(method, target, range, auth));
                Respond(stream, method, target, range);
            }
            catch (IOException) { }
            catch (SocketException) { }
        }
    }

    private static (string Method, string Target, Dictionary<string, string> Headers) ReadRequest(Stream stream)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string requestLine = ReadLine(stream);
        string[] parts = requestLine.Split(' ');
        if (parts.Length < 3) throw new IOException("bad request line");
        for (string line = ReadLine(stream); line.Length > 0; line = ReadLine(stream))
        {
            int colon = line.IndexOf(':');
            if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return (parts[0], parts[1], headers);
    }

    private static string ReadLine(Stream stream)
    {
        var sb = new StringBuilder();
        while (true)
        {
            int b = stream.ReadByte();
            if (b < 0) throw new IOException("connection closed");
            if (b == '\n') return sb.ToString().TrimEnd('\r');
            sb.Append((char)b);
            if (sb.Length > 16384) throw new IOException("header line too long");
        }
    }

    private void Respond(Stream stream, string method, string target, string? range)
    {
        bool head = method == "HEAD";
        if (target.StartsWith("/lfs/", StringComparison.Ordinal))
        {
            if (!_lfs.TryGetValue(target["/lfs/".Length..], out byte[]? blob)) { Write(stream, 404, [], [], head); return; }
            ServeBytes(stream, blob, range, head, lfs: true);
            return;
        }
        // /{org}/{name}/resolve/{rev}/{path}
        string[] seg = target.TrimStart('/').Split('/', 5);
        if (seg.Length < 5 || seg[2] != "resolve") { Write(stream, 404, [], [], head); return; }
        string repo = seg[0] + "/" + seg[1];
        string rev = Uri.UnescapeDataString(seg[3]);
        string path = Uri.UnescapeDataString(seg[4]);
        if (!_repos.TryGetValue(repo, out var files))
        {
            Write(stream, 401, [("X-Error-Code", "RepoNotFound"), ("X-Error-Message", "Repository not found")], [], head);
            return;
        }
        if (rev != "main" && rev != Commit)
        {
            Write(stream, 404, [("X-Error-Code", "RevisionNotFound"), ("X-Error-Message", "Invalid rev id: " + rev)], [], head);
            return;
        }
        if (!files.TryGetValue(path, out byte[]? bytes))
        {
            Write(stream, 404, [("X-Error-Code", "EntryNotFound"), ("X-Error-Message", "Entry not found"), ("X-Repo-Commit", Commit)], [], head);
            return;
        }
        if (IsLfs(path))
        {
            string sha = Sha256(bytes);
            string announced = WrongShaFor.Contains(path) ? Sha256(Encoding.ASCII.GetBytes("not the file")) : sha;
            Write(stream, 302,
            [
                ("Location", (LfsHost ?? "") + "/lfs/" + sha), ("X-Repo-Commit", Commit), ("X-Linked-Etag", $"\"{announced}\""),
                ("X-Linked-Size", bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("ETag", $"\"{announced}\""),
            ], [], head);
            return;
        }
        Write(stream, 200, [("X-Repo-Commit", Commit), ("ETag", $"\"{GitBlobSha1(bytes)}\"")], bytes, head);
    }

    private void ServeBytes(Stream stream, byte[] blob, string? range, bool head, bool lfs)
    {
        long from = 0;
        if (range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
            from = long.Parse(range["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
        if (from > blob.Length) { Write(stream, 416, [("Content-Range", $"bytes */{blob.Length}")], [], head); return; }
        if (range is not null)
        {
            Write(stream, 206, [("Content-Range", $"bytes {from}-{blob.Length - 1}/{blob.Length}")], blob.AsSpan((int)from).ToArray(), head);
            return;
        }
        int drop = lfs && !head ? Interlocked.Exchange(ref _dropOnce, -1) : -1;
        if (drop >= 0)
        {
            WriteHead(stream, 200, [], blob.Length);
            stream.Write(blob, 0, Math.Min(drop, blob.Length));
            stream.Flush();
            return;     // connection closes with the body incomplete
        }
        Write(stream, 200, [], blob, head);
    }

    private static void Write(Stream stream, int status, (string, string)[] headers, byte[] body, bool head)
    {
        WriteHead(stream, status, headers, body.Length);
        if (!head) stream.Write(body);
        stream.Flush();
    }

    private static void WriteHead(Stream stream, int status, (string Name, string Value)[] headers, long contentLength)
    {
        var sb = new StringBuilder();
        sb.Append("HTTP/1.1 ").Append(status).Append(' ').Append(status switch
        {
            200 => "OK", 206 => "Partial Content", 302 => "Found", 401 => "Unauthorized", 404 => "Not Found",
            416 => "Range Not Satisfiable", _ => "Status",
        }).Append("\r\n");
        foreach (var (name, value) in headers) sb.Append(name).Append(": ").Append(value).Append("\r\n");
        sb.Append("Content-Length: ").Append(contentLength).Append("\r\n");
        sb.Append("Connection: close\r\n\r\n");
        stream.Write(Encoding.ASCII.GetBytes(sb.ToString()));
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
