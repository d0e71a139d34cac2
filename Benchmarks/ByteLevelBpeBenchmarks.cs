using BenchmarkDotNet.Attributes;
using BertSharp.Tokenization;
using CodeGenTokenizer = Microsoft.ML.Tokenizers.CodeGenTokenizer;

namespace BertSharp.Benchmarks;

/// <summary>
/// Byte-level BPE encode throughput against Microsoft.ML.Tokenizers 2.0.1 (baseline), both on the RoBERTa-style
/// fixture shared/golden/families/tokenizers/bpe (GPT-2's first 6,000 merges): ML.NET's CodeGenTokenizer (GPT-2
/// byte-level BPE, no prefix space, no BOS/EOS) loads its vocab.json + merges.txt, BertSharp its tokenizer.json.
/// Ids only, no special tokens, no truncation. Corpora: "english" = Benchmarks/Data/english-corpus.txt (2000 texts),
/// "golden" = the texts of bpe.jsonl (scripts, emoji, odd spaces). Each operation encodes the whole corpus once.
/// ML.NET requires '&lt;|endoftext|&gt;' in the vocabulary: it is appended (id 6261, unused). ML.NET's Tiktoken and plain BPE tokenizers cannot load vocab.json + merges.txt with GPT-2's byte-level pre-tokenizer.
/// Run: dotnet run -c Release --project Benchmarks -- --filter '*ByteLevelBpeBenchmarks*' --job short
/// </summary>
[MemoryDiagnoser]
public class ByteLevelBpeBenchmarks
{
    private BertTokenizer _ours = null!;
    private CodeGenTokenizer _ml = null!;
    private string[] _texts = [];
    private int[] _ids = new int[1 << 16];

    [Params("english", "golden")]
    public string Corpus { get; set; } = "english";

    [GlobalSetup]
    public void Setup()
    {
        string folder = Path.Combine(FindShared(), "golden", "families", "tokenizers", "bpe");
        _ours = BertTokenizer.FromDirectory(folder);
        // CodeGenTokenizer insists on its unknown/BOS/EOS token '<|endoftext|>': give it an extra id the texts never reach.
        string vocabJson = File.ReadAllText(Path.Combine(folder, "vocab.json")).TrimEnd();
        vocabJson = vocabJson[..^1].TrimEnd() + ", \"<|endoftext|>\": 6261}";
        using (var vocab = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(vocabJson)))
        using (var merges = File.OpenRead(Path.Combine(folder, "merges.txt")))
            _ml = CodeGenTokenizer.Create(vocab, merges, addPrefixSpace: false, addBeginOfSentence: false, addEndOfSentence: false);
        _texts = Corpus == "english"
            ? File.ReadAllLines(FindUp(Path.Combine("Benchmarks", "Data", "english-corpus.txt")))
            : File.ReadLines(Path.Combine(folder, "..", "bpe.jsonl"))
                .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToArray();
        int same = 0, tokens = 0;
        foreach (string t in _texts)
        {
            int n = _ours.EncodeIds(t, _ids, addSpecialTokens: false);
            var theirs = _ml.EncodeToIds(t);
            tokens += n;
            if (_ids.AsSpan(0, n).SequenceEqual(theirs.ToArray())) same++;
        }
        Console.WriteLine($"// corpus {Corpus}: {_texts.Length} texts, {_texts.Sum(t => t.Length)} chars, {tokens} tokens; Microsoft.ML.Tokenizers CodeGen gives identical ids on {same}/{_texts.Length}");
    }

    [Benchmark(Baseline = true, Description = "ML.Tokenizers CodeGen EncodeToIds")]
    public int MlCodeGen()
    {
        int total = 0;
        foreach (string t in _texts) total += _ml.EncodeToIds(t).Count;
        return total;
    }

    [Benchmark(Description = "BertSharp EncodeIds(span)")]
    public int BertSharpIds()
    {
        int total = 0;
        foreach (string t in _texts) total += _ours.EncodeIds(t, _ids, addSpecialTokens: false);
        return total;
    }

    [Benchmark(Description = "BertSharp Encode (full Encoding)")]
    public int BertSharpEncoding()
    {
        int total = 0;
        foreach (string t in _texts) total += _ours.Encode(t).Length;
        return total;
    }

    private static string FindShared()
    {
        string? env = Environment.GetEnvironmentVariable("BERTSHARP_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "golden"))) return candidate;
        }
        throw new InvalidOperationException("shared folder not found: set BERTSHARP_SHARED");
    }

    private static string FindUp(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }
}
