using System.Text.Json;
using BertSharp.Cli;
using BertSharp.Engine;
using BertSharp.Engine.Model.Heads;
using BertSharp.Engine.Quantization;
using F = BertSharp.Tests.SentenceTransformers.SentenceTransformersFixtures;

namespace BertSharp.Tests.Commands;

/// <summary>
/// The retrieval CLI end to end on tiny random checkpoints made in the test: `rerank`, `embed --sparse`,
/// `embed --prompt-name/--dimensions`, `embed --output x.npy --precision ...` (bytes equal the library's
/// quantize_embeddings and read back by NpyReader) and `search` over float, int8 and binary indexes with rescoring.
/// </summary>
[NonParallelizable]
public class CliRetrievalCommandTests
{
    private readonly List<string> _temp = new();

    [TearDown]
    public void Cleanup()
    {
        foreach (string d in _temp) F.Delete(d);
        _temp.Clear();
    }

    private static (int Code, string Out, string Err) Run(string stdin, params string[] args)
    {
        var output = new StringWriter(); var error = new StringWriter();
        int code = Cli.Cli.Run(args, new StringReader(stdin), output, error);
        return (code, output.ToString(), error.ToString());
    }

    private string Folder(string architecture = "BertModel", int labels = 1)
    {
        string dir = F.Checkpoint(architecture, labels);
        _temp.Add(dir);
        return dir;
    }

    private static JsonElement[] Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();

    private static readonly string[] Corpus =
    [
        "the cat sat on the mat.", "a dog barks", "paris is the capital of france", "rain falls mainly on the plain",
        "music plays loud at night", "a man is eating food", "the river runs through the city", "who wrote this book?",
        "the small dog sat", "a big city at night", "quiet music for the day", "the capital of spain",
    ];

    private string WriteCorpus(string dir)
    {
        string path = Path.Combine(dir, "corpus.jsonl");
        File.WriteAllLines(path, Corpus.Select(t => JsonSerializer.Serialize(new Dictionary<string, string> { ["text"] = t })));
        return path;
    }

    [Test]
    public void RerankPrintsResultsSortedByScore()
    {
        string dir = Folder("BertForSequenceClassification", 1);
        string[] docs = ["the cat sat on the mat.", "a man wrote a book", "music plays"];
        string input = JsonSerializer.Serialize(new { query = "who wrote the book?", documents = docs }) + "\n" +
                       JsonSerializer.Serialize(new { query = "a dog", documents = new[] { "a dog barks" } }) + "\n";
        var (code, output, err) = Run(input, "rerank", "--model", dir);
        Assert.That(code, Is.EqualTo(0), err);
        JsonElement[] lines = Lines(output);
        Assert.That(lines, Has.Length.EqualTo(2));
        var ce = CrossEncoder.Load(dir);
        var expected = ce.Rerank("who wrote the book?", docs);
        JsonElement[] results = lines[0].GetProperty("results").EnumerateArray().ToArray();
        Assert.That(results.Select(r => r.GetProperty("index").GetInt32()), Is.EqualTo(expected.Select(r => r.Index)));
        Assert.That(results.Select(r => r.GetProperty("score").GetSingle()), Is.EqualTo(expected.Select(r => r.Score)));
        Assert.That(results.Select(r => r.GetProperty("text").GetString()), Is.EqualTo(expected.Select(r => r.Text)));
        Assert.That(results.Select(r => r.GetProperty("score").GetSingle()), Is.Ordered.Descending);

        var (code2, output2, _) = Run(input, "rerank", "--model", dir, "--top-k", "1", "--raw-scores");
        Assert.That(code2, Is.EqualTo(0));
        JsonElement top = Lines(output2)[0].GetProperty("results")[0];
        Assert.That(Lines(output2)[0].GetProperty("results").GetArrayLength(), Is.EqualTo(1));
        float raw = ce.Score("who wrote the book?", [docs[expected[0].Index]], Engine.SentenceTransformers.TorchActivation.Identity)[0];
        Assert.That(top.GetProperty("score").GetSingle(), Is.EqualTo(raw));
        Assert.That(1 / (1 + MathF.Exp(-raw)), Is.EqualTo(expected[0].Score).Within(1e-6f), "sigmoid of the raw logit by default");
    }

    [Test]
    public void RerankRefusesMultiLabelModelsAndBadLines()
    {
        string three = Folder("BertForSequenceClassification", 3);
        var (code, _, err) = Run("""{"query": "a", "documents": ["b"]}""", "rerank", "--model", three);
        Assert.That((code, err), Is.EqualTo((1, err)));
        Assert.That(err, Does.Contain("one label").And.Contain("3"));
        string one = Folder("BertForSequenceClassification", 1);
        var (code2, _, err2) = Run("""{"query": "a", "documents": "b"}""", "rerank", "--model", one);
        Assert.That(code2, Is.EqualTo(2));
        Assert.That(err2, Does.Contain("line 1").And.Contain("documents"));
    }

    [Test]
    public void EmbedSparsePrintsTeiShape()
    {
        string dir = Folder("BertForMaskedLM");
        var (code, output, err) = Run("", "embed", "--sparse", "--model", dir, "the cat sat", "a dog barks");
        Assert.That(code, Is.EqualTo(0), err);
        JsonElement[] lines = Lines(output);
        SparseVector[] expected = SparseEncoder.Load(dir).Encode(["the cat sat", "a dog barks"]);
        for (int i = 0; i < 2; i++)
        {
            JsonElement[] entries = lines[i].GetProperty("sparse").EnumerateArray().ToArray();
            Assert.That(entries.Select(e => e.GetProperty("index").GetInt32()), Is.EqualTo(expected[i].Indices));
            Assert.That(entries.Select(e => e.GetProperty("value").GetSingle()), Is.EqualTo(expected[i].Values));
        }
        var (code2, output2, _) = Run("""{"text": "the cat sat"}""", "embed", "--sparse", "--model", dir, "--top-k", "2");
        Assert.That(code2, Is.EqualTo(0));
        Assert.That(Lines(output2)[0].GetProperty("sparse").GetArrayLength(), Is.EqualTo(2));
        Assert.That(Run("", "embed", "--sparse", "--model", dir, "--dimensions", "3", "x").Code, Is.EqualTo(2));
    }

    [Test]
    public void EmbedTakesPromptNameAndDimensions()
    {
        string dir = Folder();
        F.MeanPooling(dir, normalize: true);
        File.WriteAllText(Path.Combine(dir, "config_sentence_transformers.json"), """{"prompts": {"query": "query: "}}""");
        var (code, output, err) = Run("", "embed", "--model", dir, "--prompt-name", "query", "--dimensions", "8", "a dog barks");
        Assert.That(code, Is.EqualTo(0), err);
        float[] v = Lines(output)[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        float[] expected = SentenceEmbedder.Load(dir).Embed(["a dog barks"], new EmbedOptions { PromptName = "query", Dimensions = 8 })[0];
        Assert.That(v, Is.EqualTo(expected));
        var (code2, output2, _) = Run("", "embed", "--model", dir, "--prompt", "query: ", "--dimensions", "8", "a dog barks");
        Assert.That((code2, Lines(output2)[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle())), Is.EqualTo((0, v)));
        var (code3, _, err3) = Run("", "embed", "--model", dir, "--prompt-name", "doc", "x");
        Assert.That(code3, Is.EqualTo(2));
        Assert.That(err3, Does.Contain("'doc'").And.Contain("query"));
        Assert.That(Run("", "embed", "--model", dir, "--dimensions", "33", "x").Err, Does.Contain("--dimensions 33"));
    }

    [TestCase("binary")]
    [TestCase("ubinary")]
    [TestCase("int8")]
    [TestCase("uint8")]
    [TestCase("float32")]
    public void EmbedPrecisionWritesQuantizeEmbeddingsBytes(string precisionName)
    {
        string dir = Folder();
        F.MeanPooling(dir, normalize: true);
        string corpus = WriteCorpus(dir), index = Path.Combine(dir, "index.npy");
        var (code, _, err) = Run("", "embed", "--model", dir, "--input", corpus, "--output", index, "--precision", precisionName);
        Assert.That(code, Is.EqualTo(0), err);
        EmbeddingPrecision precision = EmbeddingPrecisions.Parse(precisionName);
        float[][] floats = SentenceEmbedder.Load(dir).Embed(Corpus);
        byte[][] expected = EmbeddingQuantizer.Quantize(floats, precision);   // int8/uint8: ranges from the corpus itself
        using (var reader = NpyReader.Open(index))
        {
            Assert.That(reader.Rows, Is.EqualTo(Corpus.Length));
            Assert.That(reader.Columns, Is.EqualTo(EmbeddingPrecisions.Width(precision, 32)));
            Assert.That(reader.Descr, Is.EqualTo(precision switch
            {
                EmbeddingPrecision.Float32 => "<f4",
                EmbeddingPrecision.Int8 or EmbeddingPrecision.Binary => "|i1",
                _ => "|u1",
            }));
            var row = new byte[reader.RowBytes];
            for (int r = 0; r < Corpus.Length; r++)
            {
                Assert.That(reader.ReadRowBytes(row), Is.True);
                if (precision == EmbeddingPrecision.Float32)
                    Assert.That(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(row).ToArray(), Is.EqualTo(floats[r]).Within(1e-6f));
                else Assert.That(row, Is.EqualTo(expected[r]), $"row {r}");
            }
            Assert.That(reader.ReadRowBytes(row), Is.False);
        }
        string rangesPath = EmbedCommand.RangesSidecar(index);
        Assert.That(File.Exists(rangesPath), Is.EqualTo(precision is EmbeddingPrecision.Int8 or EmbeddingPrecision.UInt8));
        Assert.That(Directory.GetFiles(dir, "*.tmp*"), Is.Empty, "no temporary file left");
        if (File.Exists(rangesPath))
        {
            var ranges = QuantizationRanges.Calibrate(floats);
            var read = EmbedCommand.ReadRanges(rangesPath, 32);
            Assert.That((read.Min, read.Max), Is.EqualTo((ranges.Min, ranges.Max)));
            // --ranges reproduces the same bytes in one pass.
            string again = Path.Combine(dir, "again.npy");
            Assert.That(Run("", "embed", "--model", dir, "--input", corpus, "--output", again, "--precision", precisionName, "--ranges", rangesPath).Code, Is.EqualTo(0));
            Assert.That(File.ReadAllBytes(again), Is.EqualTo(File.ReadAllBytes(index)));
        }
    }

    [Test]
    public void PrecisionNeedsAnNpyOutput()
    {
        string dir = Folder();
        var (code, _, err) = Run("", "embed", "--model", dir, "--input", WriteCorpus(dir), "--output", Path.Combine(dir, "x.jsonl"), "--precision", "binary");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain(".npy"));
        Assert.That(Run("", "embed", "--model", dir, "--precision", "int4", "--output", Path.Combine(dir, "x.npy")).Err, Does.Contain("int4"));
    }

    /// <summary>Search results as (line, score).</summary>
    private static (int Line, float Score)[] Hits(string output) =>
        Lines(output).Select(l => (l.GetProperty("line").GetInt32(), l.GetProperty("score").GetSingle())).ToArray();

    [Test]
    public void SearchOverBinaryAndInt8IndexesScoresAsSentenceTransformers()
    {
        string dir = Folder();
        F.MeanPooling(dir, normalize: true);
        string corpus = WriteCorpus(dir);
        var embedder = SentenceEmbedder.Load(dir);
        float[][] floats = embedder.Embed(Corpus);
        const string Query = "a dog at night";
        float[] q = embedder.Embed(Query);
        foreach (string p in new[] { "binary", "ubinary", "int8", "float32" })
        {
            string index = Path.Combine(dir, $"{p}.npy");
            Assert.That(Run("", "embed", "--model", dir, "--input", corpus, "--output", index, "--precision", p).Code, Is.EqualTo(0));
            EmbeddingPrecision precision = EmbeddingPrecisions.Parse(p);
            QuantizationRanges? ranges = precision == EmbeddingPrecision.Int8 ? QuantizationRanges.Calibrate(floats) : null;
            byte[][] stored = precision == EmbeddingPrecision.Float32
                ? floats.Select(f => System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.AsSpan()).ToArray()).ToArray()
                : EmbeddingQuantizer.Quantize(floats, precision, ranges);
            // Reference scores: Hamming of packed sign bits / int8 dot of quantized vectors / cosine.
            byte[] qq = new byte[EmbeddingPrecisions.BytesPerVector(precision, 32)];
            EmbeddingQuantizer.Quantize(q, precision, ranges, qq);
            float RefScore(int r) => precision switch
            {
                EmbeddingPrecision.Binary or EmbeddingPrecision.UBinary => -qq.Zip(stored[r], (x, y) => System.Numerics.BitOperations.PopCount((uint)(x ^ y))).Sum(),
                EmbeddingPrecision.Int8 => qq.Zip(stored[r], (x, y) => (sbyte)x * (sbyte)y).Sum(),
                _ => VectorMath.CosineSimilarity(q, floats[r]),
            };
            var expected = Enumerable.Range(0, Corpus.Length).Select(r => (Line: r + 1, Score: RefScore(r)))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Line).Take(4).ToArray();
            var (code, output, err) = Run("", "search", "--model", dir, "--index", index, "--corpus", corpus, "--top-k", "4", Query);
            Assert.That(code, Is.EqualTo(0), err);
            var hits = Hits(output);
            Assert.That(hits.Select(h => h.Score), Is.EqualTo(expected.Select(e => e.Score)).Within(1e-5f), p);
            Assert.That(hits.Select(h => h.Line), Is.EqualTo(expected.Select(e => e.Line)), p);
            Assert.That(Lines(output).Select(l => l.GetProperty("text").GetString()), Is.EqualTo(hits.Select(h => Corpus[h.Line - 1])));
            if (precision == EmbeddingPrecision.Float32) continue;

            // Rescore: the best 4·3 by the first stage, re-scored by float query · stored vector (bits as 0/1).
            var candidates = Enumerable.Range(0, Corpus.Length).Select(r => (Row: r, Score: RefScore(r)))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Row).Take(12).ToArray();
            var rescored = candidates.Select(c => (Line: c.Row + 1, Score: precision == EmbeddingPrecision.Int8
                    ? q.Select((v, j) => v * (sbyte)stored[c.Row][j]).Sum()
                    : q.Select((v, j) => ((stored[c.Row][j >> 3] ^ (precision == EmbeddingPrecision.Binary ? 0x80 : 0)) >> (7 - (j & 7)) & 1) * v).Sum()))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Line).Take(4).ToArray();
            var (code2, output2, err2) = Run("", "search", "--model", dir, "--index", index, "--corpus", corpus, "--top-k", "4",
                "--rescore", "--rescore-multiplier", "3", Query);
            Assert.That(code2, Is.EqualTo(0), err2);
            var hits2 = Hits(output2);
            Assert.That(hits2.Select(h => h.Line), Is.EqualTo(rescored.Select(e => e.Line)), p + " rescored");
            Assert.That(hits2.Select(h => h.Score), Is.EqualTo(rescored.Select(e => e.Score)).Within(1e-4f), p + " rescored");
        }
    }

    [Test]
    public void SearchRescoresBinaryCandidatesWithFloatVectors()
    {
        string dir = Folder();
        F.MeanPooling(dir, normalize: true);
        string corpus = WriteCorpus(dir), bin = Path.Combine(dir, "b.npy"), f32 = Path.Combine(dir, "f.npy");
        Assert.That(Run("", "embed", "--model", dir, "--input", corpus, "--output", bin, "--precision", "ubinary").Code, Is.EqualTo(0));
        Assert.That(Run("", "embed", "--model", dir, "--input", corpus, "--output", f32).Code, Is.EqualTo(0));
        var embedder = SentenceEmbedder.Load(dir);
        float[][] floats = embedder.Embed(Corpus);
        float[] q = embedder.Embed("a dog at night");
        byte[][] stored = EmbeddingQuantizer.Quantize(floats, EmbeddingPrecision.UBinary);
        byte[] qq = new byte[4];
        EmbeddingQuantizer.PackBits(q, qq);
        // Candidates: the best 3·2 by Hamming; then cosine with their float vectors; best 3.
        var expected = Enumerable.Range(0, Corpus.Length)
            .Select(r => (Row: r, H: qq.Zip(stored[r], (x, y) => System.Numerics.BitOperations.PopCount((uint)(x ^ y))).Sum()))
            .OrderBy(x => x.H).ThenBy(x => x.Row).Take(6)
            .Select(x => (Line: x.Row + 1, Score: VectorMath.CosineSimilarity(q, floats[x.Row])))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Line).Take(3).ToArray();
        var (code, output, err) = Run("", "search", "--model", dir, "--index", bin, "--corpus", corpus, "--top-k", "3",
            "--rescore-vectors", f32, "a dog at night");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(Hits(output).Select(h => h.Line), Is.EqualTo(expected.Select(e => e.Line)));
        Assert.That(Hits(output).Select(h => h.Score), Is.EqualTo(expected.Select(e => e.Score)).Within(1e-5f));
        var (code2, _, err2) = Run("", "search", "--model", dir, "--index", bin, "--corpus", corpus, "--rescore-vectors", bin, "q");
        Assert.That(code2, Is.EqualTo(1));
        Assert.That(err2, Does.Contain("b.npy").And.Contain("float32 [12, 32]"));
    }

    [Test]
    public void SearchErrorsNameTheFile()
    {
        string dir = Folder();
        F.MeanPooling(dir, normalize: true);
        string corpus = WriteCorpus(dir), index = Path.Combine(dir, "i8.npy");
        Assert.That(Run("", "embed", "--model", dir, "--input", corpus, "--output", index, "--precision", "int8").Code, Is.EqualTo(0));
        File.Delete(EmbedCommand.RangesSidecar(index));
        var (code, _, err) = Run("", "search", "--model", dir, "--index", index, "--corpus", corpus, "q");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("i8.npy.ranges.npy").And.Contain("missing"));
        var (code2, _, err2) = Run("", "search", "--model", dir, "--index", index, "--corpus", corpus, "--dimensions", "16", "q");
        Assert.That(code2, Is.EqualTo(1));
        Assert.That(err2, Does.Contain("i8.npy").And.Contain("width 32").And.Contain("16 dimensions"));
        string f32 = Path.Combine(dir, "f.npy");
        Assert.That(Run("", "embed", "--model", dir, "--input", corpus, "--output", f32).Code, Is.EqualTo(0));
        Assert.That(Run("", "search", "--model", dir, "--index", f32, "--corpus", corpus, "--rescore", "q").Err, Does.Contain("float32"));
    }
}
