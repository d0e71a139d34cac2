using System.Buffers.Binary;
using System.Text;
using Encoding = System.Text.Encoding;
using System.Text.Json;
using BertSharp.Cli;
using BertSharp.Engine;
using BertSharp.Tokenization;
using BertSharp.Weights;

namespace BertSharp.Tests.Commands;

/// <summary>
/// `bertsharp embed --input/--output` (streamed corpus embedding) and `bertsharp search` end to end on the tiny bert-base
/// checkpoint (copied with the shared tiny vocab.txt + tokenizer_config.json into a temp folder), plus the .npy and
/// safetensors vector writers/readers on their own. Expected vectors come from <see cref="SentenceEmbedder"/> on the
/// same texts in input order.
/// </summary>
[NonParallelizable]
public class CliEmbedAtScaleTests
{
    private readonly List<string> _temp = new();
    private string? _model;

    [OneTimeTearDown]
    public void CleanUp()
    {
        foreach (string d in _temp) if (Directory.Exists(d)) Directory.Delete(d, true);
    }

    private string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"bertsharp-scale-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        _temp.Add(dir);
        return dir;
    }

    /// <summary>The tiny bert-base folder with the shared tokenizer files next to the weights.</summary>
    private string TinyModel()
    {
        if (_model is not null) return _model;
        string tiny = SharedData.Require("golden/tiny");
        string src = Path.Combine(tiny, "bert-base");
        string dir = TempDir();
        foreach (string f in Directory.GetFiles(src)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        File.Copy(Path.Combine(tiny, "vocab.txt"), Path.Combine(dir, "vocab.txt"));
        File.Copy(Path.Combine(tiny, "tokenizer_config.json"), Path.Combine(dir, "tokenizer_config.json"));
        try { BertTokenizer.FromDirectory(dir).Encode("hello"); }
        catch (NotImplementedException) { Assert.Ignore("the tokenizer is not available in this build (API stub): text commands cannot run"); }
        return _model = dir;
    }

    private static (int Code, string Out, string Err) Run(TextReader stdin, params string[] args)
    {
        var output = new StringWriter(); var error = new StringWriter();
        int code = Cli.Cli.Run(args, stdin, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => Run(new StringReader(""), args);

    private static string JsonLine(string key, string value) =>
        JsonSerializer.Serialize(new Dictionary<string, string> { [key] = value }, CliTestJson.Default.DictionaryStringString);

    /// <summary>n texts of varied lengths in no length order (fixed seed).</summary>
    private static List<string> Texts(int n, int seed = 7)
    {
        string[] words = "the a river bank money water city runs fast slow green house over under people said year time work".Split(' ');
        var rng = new Random(seed);
        var texts = new List<string>(n);
        for (int i = 0; i < n; i++)
        {
            int count = rng.Next(1, 16);
            var sb = new StringBuilder();
            for (int w = 0; w < count; w++) sb.Append(w == 0 ? "" : " ").Append(words[rng.Next(words.Length)]);
            texts.Add($"{sb} {i}");
        }
        return texts;
    }

    private string WriteCorpus(IEnumerable<string> lines)
    {
        string path = Path.Combine(TempDir(), "corpus.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    private static float[][] Expected(string model, IReadOnlyList<string> texts) =>
        new SentenceEmbedder(BertModel.Load(model)) { BatchSize = 3 }.Embed(texts);

    /// <summary>Rows of an output file in any of the three formats.</summary>
    private static float[][] ReadVectors(string path, int dim)
    {
        switch (Path.GetExtension(path))
        {
            case ".npy":
            {
                using var r = NpyReader.Open(path);
                Assert.That(r.Columns, Is.EqualTo(dim));
                float[] all = r.ReadAll();
                return Enumerable.Range(0, (int)r.Rows).Select(i => all.AsSpan(i * dim, dim).ToArray()).ToArray();
            }
            case ".safetensors":
            {
                using var f = SafeTensorsFile.Open(path);
                TensorInfo t = f.GetTensor("embeddings");
                Assert.That(t.Shape.Length, Is.EqualTo(2));
                Assert.That(t.Shape[1], Is.EqualTo(dim));
                float[] all = f.ReadFloat32("embeddings");
                return Enumerable.Range(0, (int)t.Shape[0]).Select(i => all.AsSpan(i * dim, dim).ToArray()).ToArray();
            }
            default:
                return File.ReadAllLines(path).Select(l =>
                {
                    using var doc = JsonDocument.Parse(l);
                    return doc.RootElement.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
                }).ToArray();
        }
    }

    private static void AssertSameVectors(float[][] actual, float[][] expected, string what)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: row count");
        for (int i = 0; i < expected.Length; i++)
            Assert.That(actual[i], Is.EqualTo(expected[i]), $"{what}: row {i}");
    }

    // ---- embed --input/--output ------------------------------------------------------------------------------

    [TestCase(".npy")]
    [TestCase(".safetensors")]
    [TestCase(".jsonl")]
    public void Output_RoundTripsToTheEmbedderVectors_InInputOrder(string extension)
    {
        string model = TinyModel();
        var texts = Texts(41);
        string corpus = WriteCorpus(texts.Select(t => JsonLine("text", t)));
        string output = Path.Combine(TempDir(), "vectors" + extension);
        // window 8 < 41 records: several windows, each sorted by length internally (the texts are not in length order)
        var (code, stdout, err) = Run("embed", "--model", model, "--input", corpus, "--output", output, "--batch-size", "3", "--window", "8");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(stdout, Is.Empty);
        Assert.That(err, Is.Empty, "no progress when stderr is not a terminal and --progress is absent");
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(output)!), Is.EqualTo(new[] { output }), "no temp files or sidecar left");
        AssertSameVectors(ReadVectors(output, 32), Expected(model, texts), extension);
    }

    [Test]
    public void Output_FromStdin_SameAsFromFile()
    {
        string model = TinyModel();
        var texts = Texts(10);
        string output = Path.Combine(TempDir(), "vectors.npy");
        var (code, _, err) = Run(new StringReader(string.Join("\n", texts.Select(t => JsonLine("text", t)))),
            "embed", "--model", model, "--input", "-", "--output", output);
        Assert.That(code, Is.EqualTo(0), err);
        AssertSameVectors(ReadVectors(output, 32), Expected(model, texts), "stdin");
    }

    [Test]
    public void NpyOutput_HeaderIsValidNumpyVersion1()
    {
        string model = TinyModel();
        string corpus = WriteCorpus(Texts(5).Select(t => JsonLine("text", t)));
        string output = Path.Combine(TempDir(), "v.npy");
        Assert.That(Run("embed", "--model", model, "--input", corpus, "--output", output).Code, Is.EqualTo(0));
        byte[] bytes = File.ReadAllBytes(output);
        Assert.That(bytes[..6], Is.EqualTo(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' }), "magic");
        Assert.That(bytes[6..8], Is.EqualTo(new byte[] { 1, 0 }), "version 1.0");
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        int dataStart = 10 + headerLength;
        Assert.That(dataStart % 64, Is.EqualTo(0), "data starts at a multiple of 64");
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.That(header[^1], Is.EqualTo('\n'));
        Assert.That(header.TrimEnd('\n').TrimEnd(' '), Is.EqualTo("{'descr': '<f4', 'fortran_order': False, 'shape': (5, 32), }"));
        Assert.That(bytes.Length, Is.EqualTo(dataStart + 5 * 32 * 4));
    }

    [Test]
    public void BadLine_FailsNamingTheLine_AndLeavesNoOutput()
    {
        string model = TinyModel();
        var lines = Texts(9).Select(t => JsonLine("text", t)).ToList();
        lines[4] = "{\"text\": \"unterminated";                 // line 5
        string corpus = WriteCorpus(lines);
        string dir = TempDir();
        string output = Path.Combine(dir, "v.npy");
        var (code, _, err) = Run("embed", "--model", model, "--input", corpus, "--output", output);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("line 5").And.Contain("not valid JSON"));
        Assert.That(Directory.GetFiles(dir), Is.Empty, "neither the output nor a temp file is left");

        lines = Texts(9).Select(t => JsonLine("text", t)).ToList();
        lines[2] = JsonLine("title", "no text here");           // line 3
        corpus = WriteCorpus(lines);
        File.WriteAllText(output, "old content");
        (code, _, err) = Run("embed", "--model", model, "--input", corpus, "--output", output);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("line 3").And.Contain("\"text\""));
        Assert.That(File.ReadAllText(output), Is.EqualTo("old content"), "an existing output is not replaced by a failed run");
        Assert.That(Directory.GetFiles(dir), Is.EqualTo(new[] { output }));
    }

    [Test]
    public void SkipBadLines_ReportsEachLine_WritesTheRestAndTheKeptLineNumbers()
    {
        string model = TinyModel();
        var texts = Texts(12);
        var lines = texts.Select(t => JsonLine("text", t)).ToList();
        lines[2] = JsonLine("title", "no text");   // line 3
        lines[5] = "not json";                     // line 6
        lines[6] = "";                             // line 7: blank, not a record
        lines[10] = "[1, 2]";                      // line 11
        string corpus = WriteCorpus(lines);
        string output = Path.Combine(TempDir(), "v.npy");
        var (code, _, err) = Run("embed", "--model", model, "--input", corpus, "--output", output, "--skip-bad-lines", "--window", "4");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(err, Does.Contain("skipped").And.Contain("line 3"));
        Assert.That(err, Does.Contain("line 6").And.Contain("line 11"));
        Assert.That(err, Does.Not.Contain("line 7:"));
        int[] kept = [1, 2, 4, 5, 8, 9, 10, 12];
        Assert.That(File.ReadAllLines(output + ".lines.txt").Select(int.Parse), Is.EqualTo(kept));
        AssertSameVectors(ReadVectors(output, 32), Expected(model, kept.Select(l => texts[l - 1]).ToList()), "kept rows");

        // search maps rows to corpus lines through the sidecar
        var (sc, sout, serr) = Run("search", "--model", model, "--index", output, "--corpus", corpus, "--top-k", "1", texts[8]);
        Assert.That(sc, Is.EqualTo(0), serr);
        using var hit = JsonDocument.Parse(sout.Trim());
        Assert.That(hit.RootElement.GetProperty("line").GetInt32(), Is.EqualTo(9));
        Assert.That(hit.RootElement.GetProperty("text").GetString(), Is.EqualTo(texts[8]));
    }

    [Test]
    public void TextTheModelRejects_FailsNamingTheLine_OrIsSkipped()
    {
        // the tiny model has max_position_embeddings 64 and no sentence-transformers truncation: a long text is an error
        // inside a batch; the failing record is found and named by its line
        string model = TinyModel();
        var texts = Texts(10);
        var lines = texts.Select(t => JsonLine("text", t)).ToList();
        lines[6] = JsonLine("text", string.Join(" ", Enumerable.Repeat("river bank", 80)));   // line 7
        string corpus = WriteCorpus(lines);
        string dir = TempDir();
        string output = Path.Combine(dir, "v.safetensors");
        var (code, _, err) = Run("embed", "--model", model, "--input", corpus, "--output", output, "--batch-size", "4");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("line 7"));
        Assert.That(Directory.GetFiles(dir), Is.Empty);

        (code, _, err) = Run("embed", "--model", model, "--input", corpus, "--output", output, "--batch-size", "4", "--skip-bad-lines");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(err, Does.Contain("skipped").And.Contain("line 7"));
        int[] kept = [1, 2, 3, 4, 5, 6, 8, 9, 10];
        Assert.That(File.ReadAllLines(output + ".lines.txt").Select(int.Parse), Is.EqualTo(kept));
        AssertSameVectors(ReadVectors(output, 32), Expected(model, kept.Select(l => texts[l - 1]).ToList()), "kept rows");
    }

    [Test]
    public void ProgressFlag_ReportsItemsPerSecondAndTotal_OnStderrOnly()
    {
        string model = TinyModel();
        string corpus = WriteCorpus(Texts(41).Select(t => JsonLine("text", t)));
        string output = Path.Combine(TempDir(), "v.jsonl");
        var (code, stdout, err) = Run("embed", "--model", model, "--input", corpus, "--output", output, "--window", "8", "--progress");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(stdout, Is.Empty);
        string[] lines = err.TrimEnd('\n').Split('\n');
        Assert.That(lines[0], Does.Match(@"^8/41 items \(20%\)  \d+ items/s  ETA \d:\d\d:\d\d$"));
        Assert.That(lines[^1], Does.Match(@"^41/41 items \(100%\)  \d+ items/s$"));
        Assert.That(lines.Count(l => l.StartsWith("41/41")), Is.EqualTo(1));
        Assert.That(File.ReadAllLines(output), Has.Length.EqualTo(41));
    }

    [Test]
    public void UsageErrors()
    {
        string model = TinyModel();
        Assert.That(Run("embed", "--model", model, "--input", "x.jsonl", "--output", "v.csv").Err, Does.Contain(".csv"));
        Assert.That(Run("embed", "--model", model, "--input", "x.jsonl", "--output", "v.npy", "text").Code, Is.EqualTo(2));
        Assert.That(Run("embed", "--model", model, "--skip-bad-lines", "text").Code, Is.EqualTo(2));
        var missing = Run("embed", "--model", model, "--input", Path.Combine(TempDir(), "none.jsonl"), "--output", Path.Combine(TempDir(), "v.npy"));
        Assert.That(missing.Code, Is.EqualTo(2));
        Assert.That(missing.Err, Does.Contain("none.jsonl"));
    }

    // ---- search --------------------------------------------------------------------------------------------------

    [Test]
    public void Search_QueryWithACorpusText_FindsThatLineFirst()
    {
        string model = TinyModel();
        var texts = Texts(30);
        string corpus = WriteCorpus(texts.Select(t => JsonLine("text", t)));
        string index = Path.Combine(TempDir(), "v.npy");
        Assert.That(Run("embed", "--model", model, "--input", corpus, "--output", index, "--window", "7").Code, Is.EqualTo(0));
        foreach (int line in new[] { 1, 17, 30 })
        {
            var (code, stdout, err) = Run("search", "--model", model, "--index", index, "--corpus", corpus, "--top-k", "3", texts[line - 1]);
            Assert.That(code, Is.EqualTo(0), err);
            string[] hits = stdout.TrimEnd('\n').Split('\n');
            Assert.That(hits, Has.Length.EqualTo(3));
            using var first = JsonDocument.Parse(hits[0]);
            JsonElement h = first.RootElement;
            Assert.That(h.GetProperty("rank").GetInt32(), Is.EqualTo(1));
            Assert.That(h.GetProperty("line").GetInt32(), Is.EqualTo(line));
            Assert.That(h.GetProperty("text").GetString(), Is.EqualTo(texts[line - 1]));
            Assert.That(h.GetProperty("score").GetSingle(), Is.EqualTo(1f).Within(1e-5f));
            float previous = 2;
            foreach (string l in hits)
            {
                using var d = JsonDocument.Parse(l);
                float s = d.RootElement.GetProperty("score").GetSingle();
                Assert.That(s, Is.LessThanOrEqualTo(previous), "hits sorted by score");
                previous = s;
            }
        }
    }

    [Test]
    public void Search_IndexNotMatchingModelOrCorpus_IsAClearError()
    {
        string model = TinyModel();
        var texts = Texts(6);
        string corpus = WriteCorpus(texts.Select(t => JsonLine("text", t)));
        string dir = TempDir();

        string wrongDim = Path.Combine(dir, "dim16.npy");
        using (var s = File.Create(wrongDim))
        using (var w = new NpyWriter(s, 16)) { for (int i = 0; i < 6; i++) w.Write(new float[16]); w.Complete(); }
        var (code, _, err) = Run("search", "--model", model, "--index", wrongDim, "--corpus", corpus, "query");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("dim16.npy").And.Contain("16 dimensions").And.Contain("32"));

        string fewer = Path.Combine(dir, "rows5.npy");
        Assert.That(Run("embed", "--model", model, "--input", WriteCorpus(texts.Take(5).Select(t => JsonLine("text", t))), "--output", fewer).Code, Is.EqualTo(0));
        (code, _, err) = Run("search", "--model", model, "--index", fewer, "--corpus", corpus, "query");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("5 rows").And.Contain("6 records"));
    }

    // ---- memory ----------------------------------------------------------------------------------------------------

    /// <summary>
    /// A generated JSON Lines corpus (never materialised) that samples the live GC heap each time the reader starts a
    /// new window, i.e. at the same point of every window: the command's live state is included in the sample.
    /// </summary>
    private sealed class SamplingCorpus(int lines, int window) : TextReader
    {
        private readonly List<string> _texts = Texts(97, seed: 3);
        private int _line;
        public List<long> HeapSamples { get; } = new();

        public override string? ReadLine()
        {
            if (_line == lines) return null;
            if (_line % window == 0 && _line > 0) HeapSamples.Add(GC.GetTotalMemory(forceFullCollection: true));
            string text = _texts[_line % _texts.Count];
            _line++;
            return $"{{\"text\": \"{text} {_line}\"}}";
        }
    }

    [Test]
    public void Embed20kLines_MemoryStaysFlat()
    {
        string model = TinyModel();
        const int window = 2048;
        var corpus = new SamplingCorpus(20_000, window);
        string output = Path.Combine(TempDir(), "v.npy");
        var (code, _, err) = Run(corpus, "embed", "--model", model, "--input", "-", "--output", output, "--window", window.ToString());
        Assert.That(code, Is.EqualTo(0), err);
        using (var r = NpyReader.Open(output)) Assert.That(r.Rows, Is.EqualTo(20_000));
        Assert.That(corpus.HeapSamples, Has.Count.EqualTo(20_000 / window));
        // Holding every vector (32 floats) and text would add ~ 18k x 300 B = 5 MB between the first and last sample.
        long first = corpus.HeapSamples[1], last = corpus.HeapSamples[^1];
        TestContext.Out.WriteLine($"live heap at each window: {string.Join(", ", corpus.HeapSamples.Select(b => $"{b / 1024} KiB"))}");
        Assert.That(last - first, Is.LessThan(1 << 20), "live heap grows with the corpus: rows are being kept");
    }

    // ---- format classes on their own -------------------------------------------------------------------------------

    [TestCase(0, 4)]
    [TestCase(3, 7)]
    [TestCase(33, 384)]
    public void NpyWriter_ThenReader_RoundTrips(int rows, int dim)
    {
        var rng = new Random(rows * 1000 + dim);
        var data = new float[rows * dim];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        var ms = new MemoryStream();
        using (var w = new NpyWriter(ms, dim))
        {
            for (int r = 0; r < rows; r++) w.Write(data.AsSpan(r * dim, dim));
            w.Complete();
        }
        Assert.That(ms.Length, Is.EqualTo(NpyWriter.HeaderBytes + data.Length * 4L));
        ms.Position = 0;
        using var reader = new NpyReader(ms, "mem.npy");
        Assert.That((reader.Rows, reader.Columns, reader.DataOffset), Is.EqualTo(((long)rows, dim, (long)NpyWriter.HeaderBytes)));
        Assert.That(reader.ReadAll(), Is.EqualTo(data));
        Assert.That(reader.ReadRow(new float[dim]), Is.False);
    }

    [Test]
    public void NpyHeader_FitsTheLargestShape()
    {
        byte[] h = NpyWriter.Header(long.MaxValue / 4, int.MaxValue);
        Assert.That(h, Has.Length.EqualTo(NpyWriter.HeaderBytes));
        Assert.That(h[^1], Is.EqualTo((byte)'\n'));
    }

    [TestCase("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", "'>f4'")]
    [TestCase("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", "'<f8'")]
    [TestCase("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", "fortran_order")]
    [TestCase("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", "2-D")]
    [TestCase("{'descr': '<f4', 'fortran_order': False, }", "'shape'")]
    [TestCase("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", "needs")]
    public void NpyReader_RejectsWhatItCannotRead_NamingTheFile(string dict, string expected)
    {
        var header = new byte[NpyWriter.HeaderBytes];
        NpyWriter.Header(2, 3).CopyTo(header, 0);
        header.AsSpan(10, NpyWriter.HeaderBytes - 11).Fill((byte)' ');
        Encoding.ASCII.GetBytes(dict).CopyTo(header, 10);
        var ms = new MemoryStream();
        ms.Write(header);
        ms.Write(new byte[2 * 3 * 4]);
        ms.Position = 0;
        var e = Assert.Throws<NpyFormatException>(() => new NpyReader(ms, "bad.npy"));
        Assert.That(e!.Message, Does.Contain("bad.npy").And.Contain(expected));
        Assert.Throws<NpyFormatException>(() => new NpyReader(new MemoryStream("not numpy"u8.ToArray()), "x.npy"));
    }

    [TestCase(0, 5)]
    [TestCase(7, 32)]
    public void SafeTensorsVectorWriter_ReadsBackWithTheSafeTensorsReader(int rows, int dim)
    {
        var data = new float[rows * dim];
        for (int i = 0; i < data.Length; i++) data[i] = i * 0.25f - 3;
        string path = Path.Combine(TempDir(), "v.safetensors");
        using (var s = File.Create(path))
        using (var w = new SafeTensorsVectorWriter(s, dim))
        {
            for (int r = 0; r < rows; r++) w.Write(data.AsSpan(r * dim, dim));
            w.Complete();
        }
        byte[] bytes = File.ReadAllBytes(path);
        Assert.That((8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes)) % 8, Is.EqualTo(0), "data aligned to 8");
        using var f = SafeTensorsFile.Open(path);
        TensorInfo t = f.GetTensor("embeddings");
        Assert.That(t.Shape, Is.EqualTo(new long[] { rows, dim }));
        Assert.That(f.ReadFloat32("embeddings"), Is.EqualTo(data));
    }

    [Test]
    public void Progress_Format()
    {
        Assert.That(ProgressReporter.Format(500, 2000, TimeSpan.FromSeconds(2)), Is.EqualTo("500/2000 items (25%)  250 items/s  ETA 0:00:06"));
        Assert.That(ProgressReporter.Format(500, null, TimeSpan.FromSeconds(2)), Is.EqualTo("500 items  250 items/s"));
        Assert.That(ProgressReporter.Format(2000, 2000, TimeSpan.FromSeconds(4)), Is.EqualTo("2000/2000 items (100%)  500 items/s"));
    }
}
