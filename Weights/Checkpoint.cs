using System.Collections.Concurrent;

namespace BertSharp.Weights;

/// <summary>
/// A Hugging Face model folder: config.json plus model.safetensors, or model.safetensors.index.json and its shards.
/// Tensors are looked up by canonical Hugging Face name (see <see cref="BertParameterNames"/>) and found whatever
/// the checkpoint's quirks: a "bert." prefix or none, legacy LayerNorm ".gamma"/".beta" names. Thread-safe reads.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    public const string ConfigFileName = "config.json";
    public const string SingleFileName = "model.safetensors";

    private readonly List<SafeTensorsFile> _files;
    /// <summary>Stored name -> (file, entry).</summary>
    private readonly Dictionary<string, (SafeTensorsFile File, TensorInfo Info)> _tensors;
    private readonly ConcurrentDictionary<string, byte> _consumed = new(StringComparer.Ordinal);
    private LoadBuffer.Block? _spare;        // the block RentBuffer lends again; freed on Dispose
    private int _largestRent;                 // floats, see LargestBufferRented
    private volatile bool _disposed;

    public BertConfig Config { get; }
    /// <summary>Full path of the model folder.</summary>
    public string Directory { get; }
    /// <summary>The safetensors files (one, or the shards in index order).</summary>
    public IReadOnlyList<SafeTensorsFile> Files => _files;
    /// <summary>True when loaded through model.safetensors.index.json.</summary>
    public bool IsSharded { get; }
    /// <summary>Names as stored, sorted ordinally.</summary>
    public IReadOnlyCollection<string> TensorNames { get; }

    private Checkpoint(string directory, BertConfig config, List<SafeTensorsFile> files,
        Dictionary<string, (SafeTensorsFile, TensorInfo)> tensors, bool sharded)
    {
        Directory = directory;
        Config = config;
        _files = files;
        _tensors = tensors;
        IsSharded = sharded;
        var names = tensors.Keys.ToArray();
        Array.Sort(names, StringComparer.Ordinal);
        TensorNames = names;
    }

    /// <summary>Opens a model folder: loads config.json and validates every safetensors file.</summary>
    public static Checkpoint Open(string directory)
    {
        string dir = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(dir))
            throw new CheckpointException(File.Exists(dir)
                ? $"{dir}: is a file; expected the model folder holding config.json and the safetensors weights"
                : $"{dir}: model folder not found");
        string configPath = Path.Combine(dir, ConfigFileName);
        if (!File.Exists(configPath))
            throw new ConfigException($"{configPath}: config file not found (a Hugging Face model folder needs config.json)");
        BertConfig config = BertConfig.Load(configPath);

        string single = Path.Combine(dir, SingleFileName);
        string index = Path.Combine(dir, ShardIndex.FileName);
        var files = new List<SafeTensorsFile>();
        var tensors = new Dictionary<string, (SafeTensorsFile, TensorInfo)>(StringComparer.Ordinal);
        try
        {
            if (File.Exists(single))
            {
                var f = SafeTensorsFile.Open(single);
                files.Add(f);
                foreach (TensorInfo t in f.Tensors) tensors.Add(t.Name, (f, t));
                RequireConfigFitsTensors(config, tensors, single);
                return new Checkpoint(dir, config, files, tensors, sharded: false);
            }
            if (File.Exists(index))
            {
                OpenShards(ShardIndex.Load(index), dir, files, tensors);
                RequireConfigFitsTensors(config, tensors, index);
                return new Checkpoint(dir, config, files, tensors, sharded: true);
            }
            string hint = File.Exists(Path.Combine(dir, "pytorch_model.bin")) || File.Exists(Path.Combine(dir, "pytorch_model.bin.index.json"))
                ? " (pytorch_model.bin is not supported: convert it to safetensors)" : "";
            throw new CheckpointException($"{dir}: no {SingleFileName} or {ShardIndex.FileName} found{hint}");
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The sizes loaders allocate by, checked against the tensors stored before anyone allocates: num_hidden_layers
    /// must not exceed the encoder layers stored ("encoder.layer.{i}." with or without "bert."), so 2147483647 is an
    /// error naming the field, not an out-of-memory abort (fewer layers than stored is what transformers runs: it
    /// ignores the rest); and the embedding tables, when stored, must be [vocab_size | max_position_embeddings |
    /// type_vocab_size, hidden_size]. A folder with no BertModel tensor at all (a bare safetensors container) is left
    /// to the loaders, which reject it by its first missing tensor; <see cref="BertConfig.MaxHiddenLayers"/> bounds
    /// what they size before that.
    /// </summary>
    private static void RequireConfigFitsTensors(BertConfig config, Dictionary<string, (SafeTensorsFile File, TensorInfo Info)> tensors, string weightsPath)
    {
        EncoderParameterNames names = EncoderParameterNames.For(config.Encoder);
        string prefix = config.Encoder.Prefix, layerPrefix = names.LayerPrefix;
        int layers = 0;
        bool anyBertTensor = false;
        foreach (string name in tensors.Keys)
        {
            int index = LayerIndex(name, prefix, layerPrefix);
            if (index >= layers) layers = index + 1;
            anyBertTensor |= IsBertModelTensor(name, prefix, layerPrefix);
        }
        if (!anyBertTensor) return;
        string layersField = config.Encoder.Fields.NumHiddenLayers;
        if (config.NumHiddenLayers > layers)
        {
            string stored = layers == 0 ? $"no {layerPrefix}* tensors" : $"{layers} encoder layer(s), {layerPrefix}0 to {layerPrefix}{layers - 1}";
            throw new ConfigException($"{config.SourceName}: {layersField} {config.NumHiddenLayers} but {weightsPath} stores {stored}");
        }
        string width = config.Encoder.HasEmbeddingSize ? "embedding_size" : config.Encoder.Fields.HiddenSize;
        RequireTable(config, tensors, prefix, names.WordEmbeddings, "vocab_size", config.VocabSize, width);
        RequireTable(config, tensors, prefix, names.PositionEmbeddings, "max_position_embeddings", config.MaxPositionEmbeddings, width);
        if (names.TokenTypeEmbeddings is not null)
            RequireTable(config, tensors, prefix, names.TokenTypeEmbeddings, "type_vocab_size", config.TypeVocabSize, width);
    }

    /// <summary>An embedding table [rows, width], when stored, must have the rows and width config.json gives.</summary>
    private static void RequireTable(BertConfig config, Dictionary<string, (SafeTensorsFile File, TensorInfo Info)> tensors,
        string prefix, string name, string rowsField, int rows, string widthField)
    {
        if (!tensors.TryGetValue(name, out var entry) && !tensors.TryGetValue(prefix + name, out entry)) return;
        long[] shape = entry.Info.Shape;
        int width = config.EmbeddingSize;
        if (shape.Length == 2 && shape[0] == rows && shape[1] == width) return;
        string field = shape.Length == 2 && shape[0] != rows ? $"{rowsField} {rows}" : $"{widthField} {width}";
        throw new ConfigException($"{config.SourceName}: {field} does not fit tensor '{entry.Info.Name}' of shape {entry.Info.ShapeString} in {entry.File.Path} " +
            $"(expected [{rowsField}, {widthField}] = {TensorInfo.FormatShape([rows, width])})");
    }

    /// <summary>"embeddings…", "encoder.…" (DistilBERT "transformer.…") or "pooler.…", with or without the family's prefix ("bert.", …).</summary>
    private static bool IsBertModelTensor(string name, string prefix, string layerPrefix)
    {
        ReadOnlySpan<char> s = name;
        if (s.StartsWith(prefix, StringComparison.Ordinal)) s = s[prefix.Length..];
        return s.StartsWith("embeddings", StringComparison.Ordinal) || s.StartsWith("encoder.", StringComparison.Ordinal) ||
               s.StartsWith(layerPrefix, StringComparison.Ordinal) || s.StartsWith("pooler.", StringComparison.Ordinal);
    }

    /// <summary>i for "{layerPrefix}{i}.…" or "{prefix}{layerPrefix}{i}.…"; -1 otherwise (or when i is not a small integer).</summary>
    private static int LayerIndex(string name, string prefix, string layer)
    {
        ReadOnlySpan<char> s = name;
        if (s.StartsWith(prefix, StringComparison.Ordinal)) s = s[prefix.Length..];
        if (!s.StartsWith(layer, StringComparison.Ordinal)) return -1;
        s = s[layer.Length..];
        int dot = s.IndexOf('.');
        if (dot <= 0 || dot > 9) return -1;
        int index = 0;
        foreach (char c in s[..dot])
        {
            if (c is < '0' or > '9') return -1;
            index = index * 10 + (c - '0');
        }
        return index;
    }

    private static void OpenShards(ShardIndex idx, string dir, List<SafeTensorsFile> files,
        Dictionary<string, (SafeTensorsFile, TensorInfo)> tensors)
    {
        foreach (string shard in idx.ShardFiles)
        {
            string shardPath = Path.Combine(dir, shard);
            if (!File.Exists(shardPath))
                throw new CheckpointException($"{idx.Path}: shard file '{shard}' named in weight_map not found ({shardPath})");
        }
        var byShard = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        foreach (string shard in idx.ShardFiles)
        {
            var f = SafeTensorsFile.Open(Path.Combine(dir, shard));
            files.Add(f);
            byShard.Add(shard, f);
            foreach (TensorInfo t in f.Tensors)
            {
                if (tensors.TryGetValue(t.Name, out var other))
                    throw new CheckpointException($"{f.Path}: tensor '{t.Name}' is also stored in {other.Item1.Path}");
                tensors.Add(t.Name, (f, t));
            }
        }
        foreach (var (name, shard) in idx.WeightMap)
        {
            if (!byShard[shard].Contains(name))
                throw new CheckpointException($"{idx.Path}: weight_map puts tensor '{name}' in '{shard}', but {byShard[shard].Path} does not contain it");
        }
    }

    /// <summary>
    /// The stored name for a canonical Hugging Face name, or null. Tries, in order: the name itself, with "bert."
    /// added, with "bert." removed, and each of those with a LayerNorm ".weight"/".bias" spelled ".gamma"/".beta".
    /// </summary>
    public string? Resolve(string hfName)
    {
        foreach (string candidate in Candidates(hfName, Config.Encoder.Prefix))
            if (_tensors.ContainsKey(candidate)) return candidate;
        return null;
    }

    public bool Contains(string hfName) => Resolve(hfName) is not null;

    /// <summary>Names <see cref="Resolve"/> looks for in a BERT checkpoint, in order.</summary>
    public static IReadOnlyList<string> Candidates(string hfName) => Candidates(hfName, BertParameterNames.BertPrefix);

    /// <summary>Same with the task-model prefix of the checkpoint's family ("bert.", "roberta.", "distilbert.", …).</summary>
    public static IReadOnlyList<string> Candidates(string hfName, string prefix)
    {
        var list = new List<string>(6) { hfName };
        if (hfName.StartsWith(prefix, StringComparison.Ordinal))
            list.Add(hfName[prefix.Length..]);
        else
            list.Add(prefix + hfName);
        int n = list.Count;
        for (int i = 0; i < n; i++)
        {
            string legacy = LegacyLayerNormName(list[i]);
            if (legacy.Length > 0) list.Add(legacy);
        }
        return list;
    }

    /// <summary>"x.LayerNorm.weight" -> "x.LayerNorm.gamma", "x.LayerNorm.bias" -> "x.LayerNorm.beta"; "" otherwise.</summary>
    private static string LegacyLayerNormName(string name)
    {
        if (name.EndsWith("LayerNorm.weight", StringComparison.Ordinal)) return name[..^"weight".Length] + "gamma";
        if (name.EndsWith("LayerNorm.bias", StringComparison.Ordinal)) return name[..^"bias".Length] + "beta";
        return "";
    }

    /// <summary>The stored entry for a canonical name; missing -> <see cref="CheckpointException"/> listing the names tried.</summary>
    public TensorInfo GetInfo(string hfName) => Find(hfName).Info;

    /// <summary>The file holding a tensor (for raw access through <see cref="SafeTensorsFile.GetBytes"/>).</summary>
    public SafeTensorsFile GetFile(string hfName) => Find(hfName).File;

    private (SafeTensorsFile File, TensorInfo Info) Find(string hfName)
    {
        string? stored = Resolve(hfName);
        if (stored is not null) return _tensors[stored];
        throw new CheckpointException(
            $"{Directory}: required tensor '{hfName}' missing (tried {string.Join(", ", Candidates(hfName, Config.Encoder.Prefix))}); " +
            $"{_tensors.Count} tensors stored, e.g. {SomeStoredNames(hfName)}");
    }

    /// <summary>A few stored names, preferring those that share the longest prefix with the missing one.</summary>
    private string SomeStoredNames(string hfName)
    {
        string key = hfName.StartsWith(Config.Encoder.Prefix, StringComparison.Ordinal) ? hfName[Config.Encoder.Prefix.Length..] : hfName;
        var scored = new List<(int Score, string Name)>(_tensors.Count);
        foreach (string name in TensorNames)
        {
            string n = name.StartsWith(Config.Encoder.Prefix, StringComparison.Ordinal) ? name[Config.Encoder.Prefix.Length..] : name;
            int common = 0;
            while (common < n.Length && common < key.Length && n[common] == key[common]) common++;
            scored.Add((common, name));
        }
        scored.Sort((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : string.CompareOrdinal(a.Name, b.Name));
        int take = Math.Min(6, scored.Count);
        var pick = new string[take];
        for (int i = 0; i < take; i++) pick[i] = scored[i].Name;
        return take == 0 ? "(none)" : string.Join(", ", pick);
    }

    /// <summary>
    /// Reads a float tensor (F32/F16/BF16 upcast exactly) by canonical name. When <paramref name="expectedShape"/> is
    /// given, a different stored shape is a <see cref="CheckpointException"/> "…: tensor 'x' has shape [8,16] != expected [16,8]".
    /// </summary>
    public float[] ReadFloat32(string hfName, params int[] expectedShape)
    {
        var (file, info) = Find(hfName);
        CheckShape(file, info, expectedShape);
        _consumed.TryAdd(info.Name, 0);
        float[] values = file.ReadFloat32(info.Name);
        RequireFinite(file, info, values);
        return values;
    }

    /// <summary>Reads into <paramref name="destination"/> after checking the shape.</summary>
    public void ReadFloat32(string hfName, Span<float> destination, params int[] expectedShape)
    {
        var (file, info) = Find(hfName);
        CheckShape(file, info, expectedShape);
        _consumed.TryAdd(info.Name, 0);
        file.ReadFloat32(info, destination);
        RequireFinite(file, info, destination);
    }

    /// <summary>
    /// Reads rows [firstRow, firstRow + destination.Length / columns) of a 2-D float tensor [rows, columns] after
    /// checking its shape: a big table converted to a compact form slice by slice, without a full float32 copy.
    /// </summary>
    public void ReadFloat32Rows(string hfName, int firstRow, Span<float> destination, int rows, int columns)
    {
        var (file, info) = Find(hfName);
        CheckShape(file, info, [rows, columns]);
        if (columns <= 0 || destination.Length % columns != 0 || firstRow < 0 || firstRow + destination.Length / columns > rows)
            throw new ArgumentException($"{Directory}: rows [{firstRow}, {firstRow} + {destination.Length} / {columns}) are not within tensor '{hfName}' [{rows},{columns}]", nameof(destination));
        _consumed.TryAdd(info.Name, 0);
        file.ReadFloat32(info, (long)firstRow * columns, destination);
        RequireFinite(file, info, destination, (long)firstRow * columns);
    }

    /// <summary>
    /// A reader of the 2-D float tensor <paramref name="hfName"/> [rows, columns] row by row from its file, after
    /// checking its shape and that every value is finite (read through once, <see cref="CheckFloats"/> values at a time):
    /// the reader keeps its own handle open after this checkpoint is disposed (<see cref="TensorRowReader"/>).
    /// </summary>
    public TensorRowReader OpenRows(string hfName, int rows, int columns)
    {
        var (file, info) = Find(hfName);
        CheckShape(file, info, [rows, columns]);
        TensorRowReader reader = file.OpenRowReader(info, rows, columns);
        try
        {
            int chunkRows = Math.Clamp(CheckFloats / columns, 1, Math.Max(1, rows));
            using LoadBuffer chunk = RentBuffer(chunkRows * columns);
            for (int first = 0; first < rows; first += chunkRows)
            {
                Span<float> values = chunk.Span[..(Math.Min(chunkRows, rows - first) * columns)];
                ReadFloat32Rows(hfName, first, values, rows, columns);
            }
        }
        catch
        {
            reader.Dispose();
            throw;
        }
        return reader;
    }

    /// <summary>Floats a whole-table check reads at a time (<see cref="OpenRows"/>): 256 KB, at least one row.</summary>
    private const int CheckFloats = 65536;

    /// <summary>Weights must be finite: one NaN or infinity would silently turn every output it reaches into NaN.</summary>
    /// <param name="firstElement">flat index of values[0] within the tensor (for the error message)</param>
    private static void RequireFinite(SafeTensorsFile file, TensorInfo info, ReadOnlySpan<float> values, long firstElement = 0)
    {
        int bad = NonFiniteValues.IndexOfFirst(values);
        if (bad < 0) return;
        string value = values[bad].ToString(System.Globalization.CultureInfo.InvariantCulture);
        throw new CheckpointException($"{file.Path}: tensor '{info.Name}' holds {value} at {ElementIndex(info.Shape, firstElement + bad)}; a model with NaN or infinite weights gives NaN outputs, refusing to load it");
    }

    /// <summary>"[2,5]" for flat element 21 of a [4,8] tensor.</summary>
    private static string ElementIndex(long[] shape, long flat)
    {
        var index = new long[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] == 0) break;
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return "index " + TensorInfo.FormatShape(index);
    }

    /// <summary>Integer tensor as int64 by canonical name.</summary>
    public long[] ReadInt64(string hfName)
    {
        var (file, info) = Find(hfName);
        _consumed.TryAdd(info.Name, 0);
        return file.ReadInt64(info.Name);
    }

    /// <summary>Throws when the stored shape of <paramref name="hfName"/> differs from <paramref name="expectedShape"/>.</summary>
    public void CheckShape(string hfName, params int[] expectedShape)
    {
        var (file, info) = Find(hfName);
        CheckShape(file, info, expectedShape);
    }

    private static void CheckShape(SafeTensorsFile file, TensorInfo info, int[] expected)
    {
        if (expected is null || expected.Length == 0) return;
        bool same = info.Shape.Length == expected.Length;
        for (int i = 0; same && i < expected.Length; i++) same = info.Shape[i] == expected[i];
        if (!same)
            throw new CheckpointException($"{file.Path}: tensor '{info.Name}' has shape {info.ShapeString} != expected {TensorInfo.FormatShape(expected)}");
    }

    /// <summary>
    /// Stored names not in <paramref name="consumedStoredNames"/>, sorted, leaving out buffers transformers ignores
    /// (<see cref="IsIgnoredBuffer"/>). For "unexpected tensor" reports.
    /// </summary>
    public IReadOnlyCollection<string> UnusedTensorNames(IEnumerable<string> consumedStoredNames)
    {
        var used = new HashSet<string>(consumedStoredNames, StringComparer.Ordinal);
        var unused = new List<string>();
        foreach (string name in TensorNames)
            if (!used.Contains(name) && !IsIgnoredBuffer(name)) unused.Add(name);
        return unused;
    }

    /// <summary>Same, against the stored names read so far through this checkpoint's Read methods.</summary>
    public IReadOnlyCollection<string> UnusedTensorNames() => UnusedTensorNames(_consumed.Keys);

    /// <summary>Stored names read so far through ReadFloat32/ReadInt64.</summary>
    public IReadOnlyCollection<string> ConsumedTensorNames => _consumed.Keys.ToArray();

    /// <summary>True for tensors transformers drops at load: the legacy "embeddings.position_ids" buffer (any prefix).</summary>
    public static bool IsIgnoredBuffer(string storedName) =>
        storedName == BertParameterNames.PositionIdsBuffer ||
        storedName.EndsWith("." + BertParameterNames.PositionIdsBuffer, StringComparison.Ordinal);

    /// <summary>
    /// Checks that every tensor in <paramref name="expected"/> is present with its shape and, when
    /// <paramref name="rejectUnexpected"/>, that nothing else is stored (legacy buffers and stored copies of tied MLM
    /// decoder tensors are tolerated). One <see cref="CheckpointException"/> lists every problem.
    /// </summary>
    public void Require(IEnumerable<ExpectedTensor> expected, bool rejectUnexpected = false)
    {
        var problems = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        bool hasMlmHead = false;
        foreach (ExpectedTensor e in expected)
        {
            hasMlmHead |= e.Name == BertParameterNames.MlmBias;
            string? stored = Resolve(e.Name);
            if (stored is null) { problems.Add($"missing '{e.Name}' {TensorInfo.FormatShape(e.Shape)}"); continue; }
            used.Add(stored);
            var (file, info) = _tensors[stored];
            try { CheckShape(file, info, e.Shape); }
            catch (CheckpointException) { problems.Add($"tensor '{stored}' has shape {info.ShapeString} != expected {TensorInfo.FormatShape(e.Shape)}"); }
        }
        if (rejectUnexpected)
        {
            var unexpected = new List<string>();
            foreach (string name in UnusedTensorNames(used))
            {
                bool tiedCopy = hasMlmHead && name is BertParameterNames.MlmDecoderWeight or BertParameterNames.MlmDecoderBias;
                if (!tiedCopy) unexpected.Add(name);
            }
            if (unexpected.Count > 0) problems.Add($"unexpected tensors: {string.Join(", ", unexpected)}");
        }
        if (problems.Count > 0)
            throw new CheckpointException($"{Directory}: checkpoint does not fit the model: {string.Join("; ", problems)}");
    }

    /// <summary>
    /// A native buffer of <paramref name="length"/> floats for one read-then-pack step of a load (dispose it when the step
    /// is done). The checkpoint lends the same block each time, growing it when needed, and frees it when disposed.
    /// </summary>
    public LoadBuffer RentBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        for (int seen = _largestRent; length > seen; seen = _largestRent)
            if (Interlocked.CompareExchange(ref _largestRent, length, seen) == seen) break;
        LoadBuffer.Block? spare = Interlocked.Exchange(ref _spare, null);
        if (spare is not null && spare.Capacity >= length && !_disposed) return new LoadBuffer(spare, length, this);
        spare?.Free();
        return new LoadBuffer(LoadBuffer.Block.Allocate(length), length, this);
    }

    /// <summary>The largest <see cref="RentBuffer"/> length so far, in floats: what a load held besides the model's own copies.</summary>
    internal int LargestBufferRented => Volatile.Read(ref _largestRent);

    /// <summary>Takes back a lent block to lend it again; false when the checkpoint is disposed (the caller frees it).</summary>
    internal bool GiveBack(LoadBuffer.Block block)
    {
        if (_disposed) return false;
        Interlocked.Exchange(ref _spare, block)?.Free();   // two blocks were lent at once: keep the latest
        // Disposed meanwhile: take it back out unless Dispose has freed it already.
        return !_disposed || Interlocked.CompareExchange(ref _spare, null, block) != block;
    }

    public void Dispose()
    {
        _disposed = true;
        Interlocked.Exchange(ref _spare, null)?.Free();
        foreach (var f in _files) f.Dispose();
    }
}
