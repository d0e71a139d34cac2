using System.Diagnostics;
using System.Globalization;
using BertSharp.Engine;
using BertSharp.Engine.Quantization;

namespace BertSharp.Benchmarks;

/// <summary>
/// Recall@k of quantized search against exact float32 search (not a timing benchmark; runs outside BenchmarkDotNet):
/// <code>dotnet run -c Release --project Benchmarks -- quantization-recall [--corpus FILE] [--texts N] [--queries Q] [--top-k K]</code>
/// Corpus: by default Benchmarks/Data/english-corpus.txt cut into its sentences, its lines and each pair of
/// consecutive sentences (distinct texts, first N = 12,000); or FILE, one text per non-blank line. Queries: Q corpus
/// texts chosen with a fixed seed, every third word dropped (so no query is in the corpus). all-MiniLM-L6-v2 embeds both
/// (normalised). The truth is the exact float32 cosine top-k; each quantized search (<see cref="QuantizedTopK"/>: int8
/// inner product with ranges calibrated on the corpus, binary Hamming; with and without sentence-transformers'
/// rescoring at several multipliers) reports mean |top-k ∩ truth| / k, the index bytes per vector and the ratio to
/// float32, and the mean scan time per query (one thread, flat scan).
/// </summary>
public static class QuantizationRecall
{
    public static void Run(string[] args)
    {
        string? corpusPath = null;
        int texts = 12_000, queries = 200, k = 10;
        for (int i = 0; i < args.Length; i++)
        {
            string v = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--corpus": corpusPath = v; break;
                case "--texts": texts = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--queries": queries = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--top-k": k = int.Parse(v, CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
            i++;
        }
        List<string> corpus = corpusPath is null ? DefaultCorpus(texts) : File.ReadLines(corpusPath).Where(l => l.Trim().Length > 0).Distinct().Take(texts).ToList();
        if (corpus.Count < 10_000) Console.WriteLine($"// warning: only {corpus.Count} texts (the issue asks for at least 10,000)");
        var rng = new Random(20261130);
        var queryTexts = new List<string>(queries);
        for (int i = 0; i < queries; i++)
        {
            string[] words = corpus[rng.Next(corpus.Count)].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            queryTexts.Add(string.Join(' ', words.Where((_, j) => j % 3 != 2)));
        }

        var embedder = new SentenceEmbedder(BertModel.Load(BenchmarkData.MiniLmDirectory)) { BatchSize = 32 };
        var clock = Stopwatch.StartNew();
        float[][] docs = embedder.EmbedStream(corpus).ToArray();
        double embedSeconds = clock.Elapsed.TotalSeconds;
        float[][] qs = embedder.Embed(queryTexts);
        int d = embedder.Dimension;
        Console.WriteLine($"// {corpus.Count} texts ({(corpusPath ?? "english-corpus.txt sentences, lines, sentence pairs")}), " +
                          $"{queries} queries, top-{k}, all-MiniLM-L6-v2 d={d}; embedded in {embedSeconds:F1} s ({corpus.Count / embedSeconds:F0} texts/s)");

        var truth = new HashSet<long>[queries];
        double floatMs = 0;
        for (int q = 0; q < queries; q++)
        {
            var t = Stopwatch.StartNew();
            var s = new QuantizedTopK(qs[q], EmbeddingPrecision.Float32, null, k);
            for (int r = 0; r < docs.Length; r++) s.Add(r, System.Runtime.InteropServices.MemoryMarshal.AsBytes(docs[r].AsSpan()));
            truth[q] = s.Results().Select(x => x.Row).ToHashSet();
            floatMs += t.Elapsed.TotalMilliseconds;
        }
        Console.WriteLine();
        Console.WriteLine($"| index | rescore | recall@{k} | bytes/vector | size vs float32 | scan ms/query |");
        Console.WriteLine("|---|---|---|---|---|---|");
        Console.WriteLine($"| float32 (cosine) | – | 1.000 | {4 * d} | 1 | {floatMs / queries:F2} |");

        var ranges = QuantizationRanges.Calibrate(docs);
        foreach (EmbeddingPrecision p in new[] { EmbeddingPrecision.Int8, EmbeddingPrecision.UBinary })
        {
            byte[][] stored = EmbeddingQuantizer.Quantize(docs, p, ranges);
            int bytes = EmbeddingPrecisions.BytesPerVector(p, d);
            foreach (int m in new[] { 0, 2, 4, 10 })
            {
                double hits = 0, ms = 0;
                for (int q = 0; q < queries; q++)
                {
                    var t = Stopwatch.StartNew();
                    var s = new QuantizedTopK(qs[q], p, ranges, k, m);
                    for (int r = 0; r < stored.Length; r++) s.Add(r, stored[r]);
                    var results = s.Results();
                    ms += t.Elapsed.TotalMilliseconds;
                    hits += results.Count(x => truth[q].Contains(x.Row));
                }
                string name = p == EmbeddingPrecision.Int8 ? "int8 (inner product)" : "binary (Hamming)";
                Console.WriteLine($"| {name} | {(m == 0 ? "no" : $"×{m}")} | {hits / (queries * k):F3} | {bytes} | 1/{4.0 * d / bytes:G3} | {ms / queries:F2} |");
            }
            // Beyond sentence-transformers' recipe: rescore the candidates with the float32 vectors (kept on disk).
            foreach (int m in new[] { 4, 10 })
            {
                double hits = 0, ms = 0;
                for (int q = 0; q < queries; q++)
                {
                    var t = Stopwatch.StartNew();
                    var s = new QuantizedTopK(qs[q], p, ranges, k * m);
                    for (int r = 0; r < stored.Length; r++) s.Add(r, stored[r]);
                    var top = s.Results().Select(x => (x.Row, Score: System.Numerics.Tensors.TensorPrimitives.Dot(qs[q], docs[x.Row])))
                        .OrderByDescending(x => x.Score).ThenBy(x => x.Row).Take(k).ToList();
                    ms += t.Elapsed.TotalMilliseconds;
                    hits += top.Count(x => truth[q].Contains(x.Row));
                }
                string name = p == EmbeddingPrecision.Int8 ? "int8 (inner product)" : "binary (Hamming)";
                Console.WriteLine($"| {name} | float32 vectors ×{m} | {hits / (queries * k):F3} | {bytes} (+{4 * d} on disk) | 1/{4.0 * d / bytes:G3} in memory | {ms / queries:F2} |");
            }
        }
    }

    /// <summary>Sentences, lines and consecutive sentence pairs of english-corpus.txt, distinct, first <paramref name="count"/>.</summary>
    private static List<string> DefaultCorpus(int count)
    {
        string path = FindUp(Path.Combine("Benchmarks", "Data", "english-corpus.txt"));
        var sentences = new List<string>();
        var lines = new List<string>();
        foreach (string line in File.ReadLines(path))
        {
            lines.Add(line.Trim());
            foreach (string s in line.Split(['.', '!', '?', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (s.Split(' ').Length >= 3) sentences.Add(s + ".");
        }
        var all = new List<string>(sentences);
        all.AddRange(lines);
        for (int i = 0; i + 1 < sentences.Count; i++) all.Add(sentences[i] + " " + sentences[i + 1]);
        return all.Distinct().Take(count).ToList();
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
