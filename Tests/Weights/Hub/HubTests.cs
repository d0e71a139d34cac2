using System.Text;
using BertSharp.Engine;
using BertSharp.Weights;
using BertSharp.Weights.Hub;

namespace BertSharp.Tests.Weights.Hub;

/// <summary>
/// Hub model ids against <see cref="HubTestServer"/> on 127.0.0.1 serving the shared tiny checkpoints in the hub's
/// URL layout (no test touches the internet). Each test has its own temporary HF_HUB_CACHE, set through HubOptions.
/// </summary>
[NonParallelizable]
public class HubTests
{
    private const string Repo = "test-org/tiny-bert";
    private const string ShardedRepo = "test-org/tiny-sharded";
    private const string NoConfigRepo = "test-org/no-config";
    private const string SentenceTransformersRepo = "test-org/tiny-st";
    private const string DenseRepo = "test-org/tiny-st-dense";
    private const string Commit = HubTestServer.Commit;

    private HubTestServer _server = null!;
    private string _cache = null!;
    private string _bertBase = null!;
    private Dictionary<string, byte[]> _files = null!;

    [SetUp]
    public void SetUp()
    {
        _bertBase = SharedData.Require("golden/tiny/bert-base");
        string tiny = Path.GetDirectoryName(_bertBase)!;
        string sharded = SharedData.Require("golden/tiny/bf16-sharded");
        _files = new Dictionary<string, byte[]>
        {
            ["config.json"] = File.ReadAllBytes(Path.Combine(_bertBase, "config.json")),
            ["model.safetensors"] = File.ReadAllBytes(Path.Combine(_bertBase, "model.safetensors")),
            ["vocab.txt"] = File.ReadAllBytes(Path.Combine(tiny, "vocab.txt")),
            ["tokenizer_config.json"] = File.ReadAllBytes(Path.Combine(tiny, "tokenizer_config.json")),
        };
        var shardedFiles = new Dictionary<string, byte[]>
        {
            ["vocab.txt"] = _files["vocab.txt"],
            ["tokenizer_config.json"] = _files["tokenizer_config.json"],
        };
        foreach (string f in Directory.GetFiles(sharded))
            if (f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".safetensors", StringComparison.Ordinal))
                shardedFiles[Path.GetFileName(f)] = File.ReadAllBytes(f);
        _server = new HubTestServer();
        _server.AddRepo(Repo, _files);
        _server.AddRepo(ShardedRepo, shardedFiles);
        _server.AddRepo(SentenceTransformersRepo, new Dictionary<string, byte[]>(_files)
        {
            ["modules.json"] = Encoding.UTF8.GetBytes("""
                [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                 {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                 {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]
                """),
            ["1_Pooling/config.json"] = Encoding.UTF8.GetBytes("""
                {"word_embedding_dimension": 32, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false,
                 "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false}
                """),
        });
        var dense = new BertSharp.Weights.SafeTensorsWriter();
        dense.Add("linear.weight", new float[8 * 32], 8, 32);
        dense.Add("linear.bias", Enumerable.Range(0, 8).Select(i => i - 3.5f).ToArray(), 8);
        using var denseBytes = new MemoryStream();
        dense.WriteTo(denseBytes);
        _server.AddRepo(DenseRepo, new Dictionary<string, byte[]>(_files)
        {
            ["modules.json"] = Encoding.UTF8.GetBytes("""
                [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                 {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                 {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}]
                """),
            ["1_Pooling/config.json"] = Encoding.UTF8.GetBytes("""{"pooling_mode_mean_tokens": true}"""),
            ["2_Dense/config.json"] = Encoding.UTF8.GetBytes("""{"in_features": 32, "out_features": 8, "bias": true, "activation_function": "torch.nn.modules.activation.Tanh"}"""),
            ["2_Dense/model.safetensors"] = denseBytes.ToArray(),
            ["config_sentence_transformers.json"] = Encoding.UTF8.GetBytes("""{"prompts": {"query": "query: "}, "default_prompt_name": null}"""),
        });
        _server.AddRepo(NoConfigRepo, new Dictionary<string, byte[]> { ["vocab.txt"] = _files["vocab.txt"] });
        _cache = Path.Combine(Path.GetTempPath(), "bertsharp-hub-" + Guid.NewGuid().ToString("N"));
    }

    [TearDown]
    public void TearDown()
    {
        _server?.Dispose();
        if (_cache is not null && Directory.Exists(_cache)) Directory.Delete(_cache, recursive: true);
    }

    private HubOptions Options(bool offline = false, string? token = null) => new()
    {
        Endpoint = _server.Endpoint, CacheDirectory = _cache, Offline = offline, Token = token,
        Timeout = TimeSpan.FromSeconds(10), MaxAttempts = 3,
    };

    private string RepoFolder(string repo = Repo) => Path.Combine(_cache, "models--" + repo.Replace("/", "--"));

    [Test]
    public void Download_WritesTheHuggingFaceHubCacheLayout()
    {
        string folder = ModelResolver.Resolve(Repo, Options());

        string repoFolder = RepoFolder();
        Assert.That(folder, Is.EqualTo(Path.Combine(repoFolder, "snapshots", Commit)));
        Assert.That(File.ReadAllText(Path.Combine(repoFolder, "refs", "main")), Is.EqualTo(Commit), "refs/main holds the commit, no newline");
        foreach (var (name, bytes) in _files)
        {
            string pointer = Path.Combine(folder, name);
            Assert.That(File.ReadAllBytes(pointer), Is.EqualTo(bytes), name);
            string blobName = HubTestServer.IsLfs(name) ? HubTestServer.Sha256(bytes) : HubTestServer.GitBlobSha1(bytes);
            Assert.That(new FileInfo(pointer).LinkTarget, Is.EqualTo(Path.Combine("..", "..", "blobs", blobName)), $"{name}: relative symlink to its blob");
            Assert.That(File.Exists(Path.Combine(repoFolder, "blobs", blobName)), name);
        }
        // optional files the hub does not have are recorded, as huggingface_hub does
        foreach (string missing in new[] { "tokenizer.json", "special_tokens_map.json", "modules.json", "sentence_bert_config.json" })
            Assert.That(File.Exists(Path.Combine(repoFolder, ".no_exist", Commit, missing)), missing);
        Assert.That(Directory.GetFiles(Path.Combine(repoFolder, "blobs"), "*.incomplete"), Is.Empty);
        // the LFS file came through the hub's redirect
        Assert.That(_server.Count("GET", "/lfs/" + HubTestServer.Sha256(_files["model.safetensors"])), Is.EqualTo(1));
        Assert.That(_server.Requests.Any(r => r.Path.Contains("/resolve/" + Commit + "/", StringComparison.Ordinal)),
            "after config.json, files are requested at the resolved commit");
    }

    [Test]
    public void SecondResolve_MakesNoRequest()
    {
        string first = ModelResolver.Resolve(Repo, Options());
        int requests = _server.Requests.Count;
        Assert.That(requests, Is.GreaterThan(0));
        string second = ModelResolver.Resolve(Repo, Options());
        Assert.That(second, Is.EqualTo(first));
        Assert.That(_server.Requests.Count, Is.EqualTo(requests), "a complete snapshot is used without asking the hub");
        string byCommit = ModelResolver.Resolve(Repo + "@" + Commit, Options());
        Assert.That(byCommit, Is.EqualTo(first));
        Assert.That(_server.Requests.Count, Is.EqualTo(requests));
    }

    [Test]
    public void HubId_GivesTheSameEmbeddingsAsTheFolder()
    {
        string local = Path.Combine(_cache, "local-copy");
        Directory.CreateDirectory(local);
        foreach (var (name, bytes) in _files) File.WriteAllBytes(Path.Combine(local, name), bytes);
        string[] texts = ["the quick brown fox jumps over the lazy dog", "hello world"];

        float[][] fromFolder = SentenceEmbedder.Load(local).Embed(texts);
        float[][] fromHub = SentenceEmbedder.Load(Repo, hub: Options()).Embed(texts);
        Assert.That(fromHub, Is.EqualTo(fromFolder));

        BertModel model = BertModel.Load(Repo + "@main", Options());
        Assert.That(model.Directory, Does.Contain(Path.Combine("snapshots", Commit)));
    }

    [Test]
    public void ExistingFolder_WinsAndMakesNoRequest()
    {
        Assert.That(ModelResolver.Resolve(_bertBase, Options()), Is.EqualTo(Path.GetFullPath(_bertBase)));
        Assert.That(_server.Requests, Is.Empty);
    }

    [Test]
    public void ShardedCheckpoint_DownloadsTheIndexAndEveryShard()
    {
        string folder = ModelResolver.Resolve(ShardedRepo, Options());
        Assert.That(File.Exists(Path.Combine(folder, "model.safetensors.index.json")));
        Assert.That(File.Exists(Path.Combine(folder, "model-00001-of-00002.safetensors")));
        Assert.That(File.Exists(Path.Combine(folder, "model-00002-of-00002.safetensors")));
        Assert.That(File.Exists(Path.Combine(RepoFolder(ShardedRepo), ".no_exist", Commit, "model.safetensors")));
        using var ckpt = Checkpoint.Open(folder);
        Assert.That(ckpt.IsSharded);
        int requests = _server.Requests.Count;
        ModelResolver.Resolve(ShardedRepo, Options());
        Assert.That(_server.Requests.Count, Is.EqualTo(requests));
    }

    [Test]
    public void SentenceTransformersFiles_IncludingThePoolingFolder_AreFetched()
    {
        string folder = ModelResolver.Resolve(SentenceTransformersRepo, Options());
        string pooling = Path.Combine(folder, "1_Pooling", "config.json");
        Assert.That(File.Exists(pooling));
        Assert.That(new FileInfo(pooling).LinkTarget, Does.StartWith(Path.Combine("..", "..", "..", "blobs")));
        var embedder = SentenceEmbedder.Load(SentenceTransformersRepo, hub: Options(offline: true));
        Assert.That(embedder.Pooling, Is.EqualTo(PoolingMode.Cls));
        Assert.That(embedder.Normalize);
    }

    [Test]
    public void DenseModuleFilesAndPrompts_AreFetched()
    {
        string folder = ModelResolver.Resolve(DenseRepo, Options());
        Assert.That(File.Exists(Path.Combine(folder, "2_Dense", "model.safetensors")));
        Assert.That(File.Exists(Path.Combine(folder, "config_sentence_transformers.json")));
        var embedder = SentenceEmbedder.Load(DenseRepo, hub: Options(offline: true));
        Assert.That(embedder.Dimension, Is.EqualTo(8));
        Assert.That(embedder.Prompts["query"], Is.EqualTo("query: "));
        // W = 0, so the output is tanh(bias).
        Assert.That(embedder.Embed("hello"), Is.EqualTo(Enumerable.Range(0, 8).Select(i => MathF.Tanh(i - 3.5f)).ToArray()).Within(1e-6f));
    }

    [Test]
    public void Cancellation_StopsTheResolve()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.That(() => ModelResolver.Resolve(Repo, Options() with { CancellationToken = cts.Token }),
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(_server.Requests, Is.Empty);
    }

    [Test]
    public void DroppedConnection_IsResumedWithARangeRequest()
    {
        _server.DropNextBlobAfterBytes = 1000;
        var reports = new List<HubDownloadProgress>();
        var options = Options() with { Progress = new SyncProgress(reports.Add) };
        string folder = ModelResolver.Resolve(Repo, options);

        Assert.That(File.ReadAllBytes(Path.Combine(folder, "model.safetensors")), Is.EqualTo(_files["model.safetensors"]));
        var blobGets = _server.Requests.Where(r => r.Method == "GET" && r.Path.StartsWith("/lfs/", StringComparison.Ordinal)).ToList();
        Assert.That(blobGets, Has.Count.EqualTo(2));
        Assert.That(blobGets[0].Range, Is.Null);
        Assert.That(blobGets[1].Range, Is.EqualTo("bytes=1000-"), "the retry asks only for the missing bytes");
        Assert.That(reports.Any(r => r.FileName == "model.safetensors" && r.Completed && r.BytesDownloaded == _files["model.safetensors"].Length));
    }

    [Test]
    public void WrongChecksum_IsRejectedAndNothingIsKept()
    {
        _server.WrongShaFor.Add("model.safetensors");
        var e = Assert.Throws<HubException>(() => ModelResolver.Resolve(Repo, Options()));
        Assert.That(e!.Message, Does.Contain("model.safetensors").And.Contain("checksum mismatch").And.Contain(Repo));
        string blobs = Path.Combine(RepoFolder(), "blobs");
        Assert.That(Directory.GetFiles(blobs).Where(f => f.EndsWith(".incomplete", StringComparison.Ordinal) ||
            Path.GetFileName(f) == HubTestServer.Sha256(Encoding.ASCII.GetBytes("not the file"))), Is.Empty);
        Assert.That(File.Exists(Path.Combine(RepoFolder(), "snapshots", Commit, "model.safetensors")), Is.False);
    }

    [Test]
    public void MissingRequiredFile_NamesTheUrlAndTheModel()
    {
        var e = Assert.Throws<HubException>(() => ModelResolver.Resolve(NoConfigRepo, Options()));
        Assert.That(e!.Message, Does.Contain(NoConfigRepo).And.Contain($"{_server.Endpoint}/{NoConfigRepo}/resolve/main/config.json"));
    }

    [Test]
    public void UnknownRepoAndRevision_AreClearErrors()
    {
        var e = Assert.Throws<HubException>(() => ModelResolver.Resolve("test-org/nope", Options()));
        Assert.That(e!.Message, Does.Contain("test-org/nope").And.Contain("401"));
        e = Assert.Throws<HubException>(() => ModelResolver.Resolve(Repo + "@v9", Options()));
        Assert.That(e!.Message, Does.Contain("revision 'v9' not found"));
    }

    [Test]
    public void Offline_UsesTheCacheAndNeverTheNetwork()
    {
        var e = Assert.Throws<HubException>(() => ModelResolver.Resolve(Repo, Options(offline: true)));
        Assert.That(e!.Message, Does.Contain(Repo).And.Contain("HF_HUB_OFFLINE"));
        Assert.That(_server.Requests, Is.Empty);

        string online = ModelResolver.Resolve(Repo, Options());
        int requests = _server.Requests.Count;
        Assert.That(ModelResolver.Resolve(Repo, Options(offline: true)), Is.EqualTo(online));
        Assert.That(_server.Requests.Count, Is.EqualTo(requests));
    }

    [Test]
    public void PythonPopulatedCache_IsReused()
    {
        // What huggingface_hub leaves behind: blobs named by etag, relative symlinks, refs/main, .no_exist markers.
        string repoFolder = RepoFolder();
        string snapshot = Path.Combine(repoFolder, "snapshots", Commit);
        Directory.CreateDirectory(Path.Combine(repoFolder, "blobs"));
        Directory.CreateDirectory(snapshot);
        Directory.CreateDirectory(Path.Combine(repoFolder, "refs"));
        File.WriteAllText(Path.Combine(repoFolder, "refs", "main"), Commit);
        foreach (var (name, bytes) in _files)
        {
            string blob = HubTestServer.IsLfs(name) ? HubTestServer.Sha256(bytes) : HubTestServer.GitBlobSha1(bytes);
            File.WriteAllBytes(Path.Combine(repoFolder, "blobs", blob), bytes);
            File.CreateSymbolicLink(Path.Combine(snapshot, name), Path.Combine("..", "..", "blobs", blob));
        }

        // offline: usable as is
        Assert.That(ModelResolver.Resolve(Repo, Options(offline: true)), Is.EqualTo(snapshot));
        // online: only the files the cache knows nothing about are asked for, nothing is downloaded again
        Assert.That(ModelResolver.Resolve(Repo, Options()), Is.EqualTo(snapshot));
        Assert.That(_server.Count("GET", "/"), Is.EqualTo(0));
        Assert.That(_server.Count("HEAD", "model.safetensors"), Is.EqualTo(0));
        Assert.That(_server.Count("HEAD", "vocab.txt"), Is.EqualTo(0));

        // with the .no_exist markers now written, nothing at all
        int requests = _server.Requests.Count;
        ModelResolver.Resolve(Repo, Options());
        Assert.That(_server.Requests.Count, Is.EqualTo(requests));
        BertModel model = BertModel.Load(Repo, Options(offline: true));
        Assert.That(model.Tokenizer, Is.Not.Null);
    }

    [Test]
    public void Token_IsSentAsBearer()
    {
        ModelResolver.Resolve(Repo, Options(token: "hf_test"));
        Assert.That(_server.Requests.Where(r => r.Path.Contains("/resolve/", StringComparison.Ordinal)).Select(r => r.Authorization),
            Is.All.EqualTo("Bearer hf_test"));
    }

    [Test]
    public void CrossHostRedirect_DropsTheToken()
    {
        using var cdn = new HubTestServer();
        cdn.AddRepo(Repo, _files);
        _server.LfsHost = cdn.Endpoint;
        string folder = ModelResolver.Resolve(Repo, Options(token: "hf_secret"));
        Assert.That(File.ReadAllBytes(Path.Combine(folder, "model.safetensors")), Is.EqualTo(_files["model.safetensors"]));
        Assert.That(cdn.Count("GET", "/lfs/"), Is.EqualTo(1), "the weights come from the other host");
        Assert.That(cdn.Requests.Select(r => r.Authorization), Is.All.Null, "the token never leaves the endpoint's host");
        Assert.That(_server.Requests.Select(r => r.Authorization), Is.All.EqualTo("Bearer hf_secret"));
    }

    [Test]
    public void LocalLookingPath_IsNeverAHubId()
    {
        foreach (string path in new[] { "/no/such/model", "./missing", "../missing", "a/b/c" })
        {
            var e = Assert.Throws<HubException>(() => ModelResolver.Resolve(path, Options()), path);
            Assert.That(e!.Message, Does.Contain($"model folder '{path}' does not exist"));
        }
        Assert.That(_server.Requests, Is.Empty);
    }

    [Test]
    public void Cli_AcceptsAHubIdThroughTheEnvironment()
    {
        string[] names = ["HF_ENDPOINT", "HF_HUB_CACHE", "HF_HUB_OFFLINE", "HF_TOKEN"];
        var saved = names.ToDictionary(n => n, Environment.GetEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable("HF_ENDPOINT", _server.Endpoint + "/");
            Environment.SetEnvironmentVariable("HF_HUB_CACHE", _cache);
            Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", null);
            Environment.SetEnvironmentVariable("HF_TOKEN", null);
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code = BertSharp.Cli.Cli.Run(["embed", "--model", Repo, "hello world"], TextReader.Null, stdout, stderr);
            Assert.That(code, Is.EqualTo(0), stderr.ToString());
            Assert.That(stdout.ToString(), Does.StartWith("{\"embedding\":["));
            Assert.That(stderr.ToString(), Is.Empty, "no progress bar when stderr is not a terminal");
            Assert.That(File.Exists(Path.Combine(RepoFolder(), "refs", "main")));

            Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", "1");
            code = BertSharp.Cli.Cli.Run(["inspect", "--model", "test-org/not-cached"], TextReader.Null, TextWriter.Null, stderr);
            Assert.That(code, Is.EqualTo(1));
            Assert.That(stderr.ToString(), Does.Contain("test-org/not-cached").And.Contain("HF_HUB_OFFLINE"));
        }
        finally
        {
            foreach (var (name, value) in saved) Environment.SetEnvironmentVariable(name, value);
        }
    }

    private sealed class SyncProgress(Action<HubDownloadProgress> report) : IProgress<HubDownloadProgress>
    {
        public void Report(HubDownloadProgress value) => report(value);
    }
}

/// <summary>HubModelId parsing and the huggingface_hub cache naming rules (no server needed).</summary>
public class HubModelIdTests
{
    [TestCase("sentence-transformers/all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "main")]
    [TestCase("org/name@v1.0", "org/name", "v1.0")]
    [TestCase("bert-base-uncased", "bert-base-uncased", "main")]
    [TestCase("org/name@refs/pr/1", "org/name", "refs/pr/1")]
    public void Parse_Valid(string text, string repo, string revision)
    {
        HubModelId id = HubModelId.Parse(text);
        Assert.That(id.RepoId, Is.EqualTo(repo));
        Assert.That(id.Revision, Is.EqualTo(revision));
    }

    [TestCase("", "empty")]
    [TestCase("a/b/c", "more than one '/'")]
    [TestCase("org/na me", "character ' '")]
    [TestCase("org--x/name", "'--'")]
    [TestCase("org/name..x", "'..'")]
    [TestCase("org/name.git", ".git")]
    [TestCase("-org/name", "start and end")]
    [TestCase("org/name@", "empty revision")]
    [TestCase("org/name@a b", "not allowed in a revision")]
    [TestCase("org/name@../x", "'..' segments")]
    public void Parse_Invalid(string text, string reason)
    {
        var e = Assert.Throws<HubException>(() => HubModelId.Parse(text));
        Assert.That(e!.Message, Does.Contain(reason));
    }

    [Test]
    public void CacheFolderName_FollowsHuggingFaceHub()
    {
        Assert.That(HubModelId.Parse("sentence-transformers/all-MiniLM-L6-v2").CacheFolderName, Is.EqualTo("models--sentence-transformers--all-MiniLM-L6-v2"));
        Assert.That(HubModelId.Parse("bert-base-uncased").CacheFolderName, Is.EqualTo("models--bert-base-uncased"));
    }

    [Test]
    public void OfflineFlag_AcceptsHuggingFaceTruthyValues()
    {
        foreach (string v in new[] { "1", "true", "ON", "yes" }) Assert.That(HubOptions.IsTrue(v), v);
        foreach (string? v in new[] { null, "", "0", "false", "off" }) Assert.That(HubOptions.IsTrue(v), Is.False, v ?? "null");
    }
}
