using System.Collections.Concurrent;
using System.Text.Json;

namespace BertSharp.Weights.Hub;

/// <summary>
/// Turns what a user typed as "model" into a local folder: an existing directory is used as is; otherwise a hub id
/// ("org/name[@revision]") is looked up in the Hugging Face cache (<see cref="HubCache"/>) and, when absent and not
/// offline, its files are downloaded into that cache. The result is the snapshot folder, a normal model folder.
/// </summary>
/// <remarks>
/// Files fetched: config.json (required); model.safetensors, or model.safetensors.index.json and every shard it
/// names (one of the two required); tokenizer.json, vocab.txt, tokenizer_config.json, special_tokens_map.json,
/// modules.json, sentence_bert_config.json, config_sentence_transformers.json and the files of the modules named in
/// modules.json — Pooling and SpladePooling config.json, Dense and LayerNorm config.json + model.safetensors (optional:
/// a 404 is recorded in .no_exist/ as huggingface_hub does). A snapshot where every one of these is present or known
/// absent is used without any request; so is any usable snapshot in offline mode.
/// </remarks>
public static class ModelResolver
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string WeightsIndexFile = "model.safetensors.index.json";
    public const string ModulesFile = "modules.json";

    /// <summary>Optional files, fetched when the hub has them.</summary>
    public static readonly IReadOnlyList<string> OptionalFiles =
    [
        "tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json",
        ModulesFile, "sentence_bert_config.json", "config_sentence_transformers.json",
    ];

    private static readonly ConcurrentDictionary<string, SemaphoreSlim> RepoLocks = new(StringComparer.Ordinal);

    /// <summary>The model folder for a folder path or hub id (blocking form of <see cref="ResolveAsync(string, HubOptions?)"/>).</summary>
    public static string Resolve(string folderOrHubId, HubOptions? options = null) =>
        ResolveAsync(folderOrHubId, options).ConfigureAwait(false).GetAwaiter().GetResult();

    /// <param name="options">null = <see cref="HubOptions.FromEnvironment"/></param>
    public static async Task<string> ResolveAsync(string folderOrHubId, HubOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(folderOrHubId);
        if (Directory.Exists(folderOrHubId)) return Path.GetFullPath(folderOrHubId);
        if (File.Exists(folderOrHubId)) return folderOrHubId;     // Checkpoint.Open says "is a file"
        if (LooksLikeLocalPath(folderOrHubId))
            throw new HubException($"model folder '{folderOrHubId}' does not exist");
        if (!HubModelId.TryParse(folderOrHubId, out HubModelId? id, out string? error))
            throw new HubException($"model folder '{folderOrHubId}' does not exist, and it is not a hub model id either: {error}");
        return await ResolveAsync(id!, options ?? HubOptions.FromEnvironment()).ConfigureAwait(false);
    }

    /// <summary>Resolves a hub id to its snapshot folder in the cache, downloading what is missing.</summary>
    public static async Task<string> ResolveAsync(HubModelId id, HubOptions options)
    {
        var cache = new HubCache(options.CacheDirectory ?? HubCache.DefaultRoot());
        SemaphoreSlim gate = RepoLocks.GetOrAdd(cache.RepoFolder(id), _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(options.CancellationToken).ConfigureAwait(false);
        try
        {
            string? cachedCommit = cache.ResolveCommit(id);
            if (cachedCommit is not null && IsComplete(cache, id, cachedCommit))
                return cache.SnapshotFolder(id, cachedCommit);
            if (options.Offline)
            {
                if (cachedCommit is not null && IsUsable(cache, id, cachedCommit))
                    return cache.SnapshotFolder(id, cachedCommit);
                throw new HubException($"{id}: not in the Hugging Face cache ({cache.RepoFolder(id)}: " +
                    (cachedCommit is null ? $"no snapshot for revision '{id.Revision}'" : $"snapshot {cachedCommit} lacks {ConfigFile} or the weights") +
                    ") and offline mode is on (HF_HUB_OFFLINE): run once with network access, or pass a model folder");
            }
            try
            {
                return await DownloadAsync(cache, id, options).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or TimeoutException)
            {
                throw new HubException($"{id}: not a local folder, and fetching it from the hub ({options.Endpoint}) failed: {e.Message}", e);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Rooted, "./", "../", "~", a backslash, a trailing '/' or more than one '/': meant as a path, never a hub id.</summary>
    public static bool LooksLikeLocalPath(string text)
    {
        if (text.Length == 0) return false;
        if (Path.IsPathRooted(text) || text[0] is '.' or '~' || text.Contains('\\') || text.EndsWith('/')) return true;
        int at = text.IndexOf('@');
        string repo = at < 0 ? text : text[..at];
        return repo.Count(c => c == '/') > 1;
    }

    private static async Task<string> DownloadAsync(HubCache cache, HubModelId id, HubOptions options)
    {
        var http = new HubHttp(options);
        var (configMeta, _) = await http.HeadAsync(id, id.Revision, ConfigFile).ConfigureAwait(false);
        if (configMeta is null)
            throw new HubException($"{id}: the hub has no {ConfigFile} ({http.FileUri(id, id.Revision, ConfigFile)} is 404): not a Transformers model repository, or a wrong revision");
        string commit = configMeta.Commit;
        Directory.CreateDirectory(cache.RepoFolder(id));
        cache.WriteRef(id, commit);
        await EnsureAsync(cache, http, id, commit, ConfigFile, configMeta).ConfigureAwait(false);

        // Weights: the single file, else the index and its shards. Later requests name the commit, not the branch.
        if (!WeightsComplete(cache, id, commit))
        {
            bool single = !cache.IsMarkedMissing(id, commit, WeightsFile) &&
                          await TryFetchAsync(cache, http, id, commit, WeightsFile).ConfigureAwait(false);
            if (!single)
            {
                if (cache.TryGetFile(id, commit, WeightsIndexFile) is null &&
                    !await TryFetchAsync(cache, http, id, commit, WeightsIndexFile).ConfigureAwait(false))
                    throw new HubException($"{id}: the hub has neither {WeightsFile} nor {WeightsIndexFile} " +
                        $"({http.FileUri(id, commit, WeightsFile)} and {http.FileUri(id, commit, WeightsIndexFile)} are 404); " +
                        "only safetensors weights are supported (pytorch_model.bin is not)");
                foreach (string shard in ShardIndex.Load(cache.PointerPath(id, commit, WeightsIndexFile)).ShardFiles)
                {
                    if (cache.TryGetFile(id, commit, shard) is not null) continue;
                    if (!await TryFetchAsync(cache, http, id, commit, shard).ConfigureAwait(false))
                        throw new HubException($"{id}: shard '{shard}' named in {WeightsIndexFile} is missing on the hub ({http.FileUri(id, commit, shard)} is 404)");
                }
            }
        }

        foreach (string file in OptionalFiles)
            if (!cache.IsSettled(id, commit, file)) await TryFetchAsync(cache, http, id, commit, file).ConfigureAwait(false);
        foreach (string file in ModuleFiles(cache, id, commit))
            if (!cache.IsSettled(id, commit, file)) await TryFetchAsync(cache, http, id, commit, file).ConfigureAwait(false);
        return cache.SnapshotFolder(id, commit);
    }

    /// <summary>HEAD then download; false (and recorded in .no_exist) when the hub has no such file.</summary>
    private static async Task<bool> TryFetchAsync(HubCache cache, HubHttp http, HubModelId id, string commit, string repoPath)
    {
        var (meta, _) = await http.HeadAsync(id, commit, repoPath).ConfigureAwait(false);
        if (meta is null)
        {
            cache.MarkMissing(id, commit, repoPath);
            return false;
        }
        await EnsureAsync(cache, http, id, commit, repoPath, meta).ConfigureAwait(false);
        return true;
    }

    private static async Task EnsureAsync(HubCache cache, HubHttp http, HubModelId id, string commit, string repoPath, HubFileMetadata meta)
    {
        if (cache.TryGetFile(id, commit, repoPath) is not null) return;
        string blob = cache.BlobPath(id, meta.Etag);
        if (!File.Exists(blob)) await http.DownloadAsync(id, repoPath, meta, blob).ConfigureAwait(false);
        cache.Link(id, commit, repoPath, meta.Etag);
    }

    /// <summary>config.json and complete weights are in the snapshot.</summary>
    private static bool IsUsable(HubCache cache, HubModelId id, string commit) =>
        cache.TryGetFile(id, commit, ConfigFile) is not null && WeightsComplete(cache, id, commit);

    /// <summary>Usable, and every optional file is present or known absent.</summary>
    private static bool IsComplete(HubCache cache, HubModelId id, string commit)
    {
        if (!IsUsable(cache, id, commit)) return false;
        foreach (string file in OptionalFiles)
            if (!cache.IsSettled(id, commit, file)) return false;
        foreach (string file in ModuleFiles(cache, id, commit))
            if (!cache.IsSettled(id, commit, file)) return false;
        return true;
    }

    private static bool WeightsComplete(HubCache cache, HubModelId id, string commit)
    {
        if (cache.TryGetFile(id, commit, WeightsFile) is not null) return true;
        string? index = cache.TryGetFile(id, commit, WeightsIndexFile);
        if (index is null) return false;
        try
        {
            foreach (string shard in ShardIndex.Load(index).ShardFiles)
                if (cache.TryGetFile(id, commit, shard) is null) return false;
            return true;
        }
        catch (CheckpointException) { return false; }
    }

    /// <summary>
    /// The module files named by the snapshot's modules.json: "{path}/config.json" of Pooling and SpladePooling modules,
    /// "{path}/config.json" and "{path}/model.safetensors" of Dense and LayerNorm modules.
    /// </summary>
    private static List<string> ModuleFiles(HubCache cache, HubModelId id, string commit)
    {
        var files = new List<string>();
        string? modules = cache.TryGetFile(id, commit, ModulesFile);
        if (modules is null) return files;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(modules));
            if (doc.RootElement.ValueKind != JsonValueKind.Array) return files;
            foreach (JsonElement m in doc.RootElement.EnumerateArray())
            {
                if (m.ValueKind != JsonValueKind.Object) continue;
                string type = m.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
                string path = m.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
                if (!IsSafeRepoPath(path) || path.Length == 0) continue;
                string prefix = path.TrimEnd('/') + "/";
                if (type.EndsWith(".Pooling", StringComparison.Ordinal) || type.EndsWith(".SpladePooling", StringComparison.Ordinal))
                    files.Add(prefix + ConfigFile);
                else if (type.EndsWith(".Dense", StringComparison.Ordinal) || type.EndsWith(".LayerNorm", StringComparison.Ordinal))
                {
                    files.Add(prefix + ConfigFile);
                    files.Add(prefix + WeightsFile);
                }
            }
        }
        catch (JsonException) { }   // the model loader reports a broken modules.json with its path
        return files;
    }

    private static bool IsSafeRepoPath(string path)
    {
        if (path.Contains('\\') || path.StartsWith('/')) return false;
        foreach (string segment in path.Split('/'))
            if (segment is "." or "..") return false;
        return true;
    }
}
