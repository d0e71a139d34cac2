using System.Text;
using BertSharp.Cli;
using BertSharp.Weights;

namespace BertSharp.Tests.Commands;

/// <summary>
/// The CLI cases of issue 15 on a tiny generated checkpoint (<see cref="MutableTinyCheckpoint"/>, with a vocab.txt):
/// hidden's output bound, hidden's input_ids checks, and the commands agreeing on blank lines, text_pair and lone
/// surrogates (always with the line number), and non-finite weights never reaching an output file.
/// </summary>
[NonParallelizable]
public class CliHardeningTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "bertsharp-cli-issue15-" + Guid.NewGuid().ToString("N"));
        MutableTinyCheckpoint.Create().Write(Path.Combine(_dir, "model"));
    }

    [TearDown] public void TearDown() { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); }

    private string Model => Path.Combine(_dir, "model");

    private static (int Code, string Out, string Err) Run(string stdin, params string[] args)
    {
        var output = new StringWriter(); var error = new StringWriter();
        int code = Cli.Cli.Run(args, new StringReader(stdin), output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string Lines(int n, Func<int, string> line)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.Append(line(i)).Append('\n');
        return sb.ToString();
    }

    private static void AssertOneLineError(string err, params string[] fragments)
    {
        string[] lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), err);
        foreach (string f in fragments) Assert.That(lines[0], Does.Contain(f));
    }

    // ---- hidden: bounded output, checked input_ids ----

    [Test]
    public void HiddenRefuses20000LinesOverTheLimitBeforeRunningAndWritesNothing()
    {
        string output = Path.Combine(_dir, "h.safetensors");
        string input = Lines(20_000, i => i % 2 == 0 ? "{\"text\": \"hello world\"}" : "{\"text\": \"the dog\"}");
        var (code, stdout, err) = Run(input, "hidden", "--model", Model, "--output", output, "--max-output-mb", "1");
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(stdout, Is.Empty);
        AssertOneLineError(err, "bertsharp hidden: 20000 rows padded to 4 tokens would produce", "more than the --max-output-mb limit of 1 MB");
        Assert.That(File.Exists(output), Is.False);
        Assert.That(Directory.GetFiles(_dir), Is.Empty, "no temporary file left either");

        // The same batch within the (default) limit runs.
        (code, stdout, err) = Run(input, "hidden", "--model", Model, "--output", output);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(stdout, Does.Contain("batch 20000 x 4 tokens"));
    }

    [Test]
    public void HiddenOutputSizeEstimateIsTheFileSize()
    {
        string output = Path.Combine(_dir, "h.safetensors");
        var (code, _, err) = Run("{\"text\": \"hello world\"}\n{\"text\": \"the cat is a dog\"}\n{\"text\": \"a\"}\n", "hidden", "--model", Model, "--output", output);
        Assert.That(code, Is.EqualTo(0), err);
        using var f = SafeTensorsFile.Open(output);
        long data = 0;
        foreach (TensorInfo t in f.Tensors) data += t.ByteLength;
        BertConfig c = BertConfig.Load(Path.Combine(Model, "config.json"));
        Assert.That(HiddenCommand.OutputBytes(c, 3, 7), Is.EqualTo(data), "3 rows of 7 tokens ([CLS] the cat is a dog [SEP])");
    }

    [Test]
    public void HiddenRefusesTheDefaultLimitOn20000MiniLmLines()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        string input = Lines(20_000, i => $"{{\"text\": \"line {i} is short\"}}");
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var (code, _, err) = Run(input, "hidden", "--model", model, "--output", Path.Combine(_dir, "h.safetensors"));
        Assert.That(code, Is.EqualTo(2), err);
        AssertOneLineError(err, "20000 rows padded to", "more than the --max-output-mb limit of 512 MB");
        Assert.That(GC.GetTotalAllocatedBytes(precise: true) - before, Is.LessThan(400L << 20), "refused before the model runs");
    }

    [TestCase("{\"input_ids\": null}", "found null")]
    [TestCase("{\"input_ids\": []}", "found []")]
    [TestCase("{\"input_ids\": \"2 3\"}", "must be an array of integers")]
    [TestCase("{\"input_ids\": [2, 3.5]}", "input_ids[1] is not a 32-bit integer")]
    public void HiddenInputIdsMustBeANonEmptyArrayNamingLineAndField(string bad, string fragment)
    {
        var (code, _, err) = Run("{\"input_ids\": [2, 5, 3]}\n" + bad + "\n", "hidden", "--model", Model, "--output", Path.Combine(_dir, "h.safetensors"));
        Assert.That(code, Is.EqualTo(2), err);
        AssertOneLineError(err, "bertsharp hidden: stdin line 2: ", "input_ids", fragment);
    }

    // ---- the same rules in every command ----

    [Test]
    public void WhitespaceOnlyLinesAreSkippedByEveryCommand()
    {
        string input = "{\"text\": \"hello\"}\n   \n\t\n \u00a0\n{\"text\": \"world\"}\n";
        foreach (string[] args in new[]
        {
            new[] { "tokenize", "--model", Model },
            new[] { "embed", "--model", Model },
            new[] { "hidden", "--model", Model, "--output", Path.Combine(_dir, "h.safetensors") },
        })
        {
            var (code, stdout, err) = Run(input, args);
            Assert.That(code, Is.EqualTo(0), $"{args[0]}: {err}");
            if (args[0] != "hidden") Assert.That(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(2), args[0]);
            else Assert.That(stdout, Does.Contain("batch 2 x 3 tokens"));
        }
        string file = Path.Combine(_dir, "in.jsonl");
        File.WriteAllText(file, input);
        var r = Run("", "embed", "--model", Model, "--input", file, "--output", Path.Combine(_dir, "v.jsonl"));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(File.ReadAllLines(Path.Combine(_dir, "v.jsonl")), Has.Length.EqualTo(2));
    }

    [TestCase("\"b\"")]
    [TestCase("5")]
    [TestCase("[\"b\"]")]
    [TestCase("{}")]
    public void EmbedRejectsATextPairOfAnyValueNamingLineAndField(string pair)
    {
        string input = "{\"text\": \"hello\"}\n{\"text\": \"a\", \"text_pair\": " + pair + "}\n";
        var (code, stdout, err) = Run(input, "embed", "--model", Model);
        Assert.That(code, Is.EqualTo(2), err);
        AssertOneLineError(err, "bertsharp embed: stdin line 2: field \"text_pair\" is not supported here");

        string file = Path.Combine(_dir, "in.jsonl");
        File.WriteAllText(file, input);
        string output = Path.Combine(_dir, "v.npy");
        (code, _, err) = Run("", "embed", "--model", Model, "--input", file, "--output", output);
        Assert.That(code, Is.EqualTo(1), err);
        AssertOneLineError(err, $"{file} line 2: field \"text_pair\" is not supported");
        Assert.That(File.Exists(output), Is.False);
    }

    [Test]
    public void NullTextPairMeansNoPairInEveryCommand()
    {
        const string input = "{\"text\": \"hello\", \"text_pair\": null}\n";
        var withNull = Run(input, "embed", "--model", Model);
        var without = Run("{\"text\": \"hello\"}\n", "embed", "--model", Model);
        Assert.That(withNull.Code, Is.EqualTo(0), withNull.Err);
        Assert.That(withNull.Out, Is.EqualTo(without.Out));
        Assert.That(Run(input, "tokenize", "--model", Model).Out, Is.EqualTo(Run("{\"text\": \"hello\"}\n", "tokenize", "--model", Model).Out));
    }

    [Test]
    public void TextPairIsUsedWhereItMeansSomething()
    {
        // tokenize and hidden encode pairs: the pair changes the output.
        var single = Run("{\"text\": \"hello\"}\n", "tokenize", "--model", Model);
        var pair = Run("{\"text\": \"hello\", \"text_pair\": \"world\"}\n", "tokenize", "--model", Model);
        Assert.That((single.Code, pair.Code), Is.EqualTo((0, 0)));
        Assert.That(pair.Out, Does.StartWith("{\"ids\":[2,31,3,32,3]"));
        var h = Run("{\"text\": \"hello\", \"text_pair\": \"world\"}\n", "hidden", "--model", Model, "--output", Path.Combine(_dir, "h.safetensors"));
        Assert.That(h.Code, Is.EqualTo(0), h.Err);
        Assert.That(h.Out, Does.Contain("batch 1 x 5 tokens"));
        var bad = Run("{\"text\": \"hello\", \"text_pair\": 5}\n", "hidden", "--model", Model, "--output", Path.Combine(_dir, "h.safetensors"));
        Assert.That(bad.Code, Is.EqualTo(2));
        AssertOneLineError(bad.Err, "stdin line 1: field \"text_pair\" must be a string");
    }

    [Test]
    public void LoneSurrogatesAreErrorsWithTheLineNumberInEveryCommand()
    {
        const string input = "{\"text\": \"hello\"}\n{\"text\": \"a\\ud800b\"}\n";
        const string why = "field \"text\" holds a lone surrogate escape";
        foreach (string[] args in new[]
        {
            new[] { "tokenize", "--model", Model },
            new[] { "embed", "--model", Model },
            new[] { "hidden", "--model", Model, "--output", Path.Combine(_dir, "h.safetensors") },
        })
        {
            var (code, _, err) = Run(input, args);
            Assert.That(code, Is.Not.EqualTo(0), args[0]);
            AssertOneLineError(err, $"bertsharp {args[0]}: ", "stdin line 2: ", why);
        }
        var p = Run("{\"text\": \"a\", \"text_pair\": \"\\udc00\"}\n", "tokenize", "--model", Model);
        AssertOneLineError(p.Err, "stdin line 1: field \"text_pair\" holds a lone surrogate escape");

        string file = Path.Combine(_dir, "in.jsonl");
        File.WriteAllText(file, input);
        var r = Run("", "embed", "--model", Model, "--input", file, "--output", Path.Combine(_dir, "v.npy"));
        Assert.That(r.Code, Is.EqualTo(1));
        AssertOneLineError(r.Err, $"{file} line 2: {why}");
        var skip = Run("", "embed", "--model", Model, "--input", file, "--output", Path.Combine(_dir, "v.npy"), "--skip-bad-lines");
        Assert.That(skip.Code, Is.EqualTo(0), skip.Err);
        Assert.That(skip.Err, Does.Contain($"skipped {file} line 2: {why}"));
    }

    // ---- non-finite weights ----

    [TestCase(".npy")]
    [TestCase(".jsonl")]
    [TestCase("")]
    public void NonFiniteWeightIsAnErrorNamingTheTensorAndNoFileIsWritten(string extension)
    {
        MutableTinyCheckpoint f = MutableTinyCheckpoint.Create();
        var t = f.Tensors.First(x => x.Name == "encoder.layer.0.output.dense.weight");
        System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(t.Data.AsSpan(12), float.PositiveInfinity);
        string model = Path.Combine(_dir, "inf");
        f.Write(model);
        string output = Path.Combine(_dir, "v" + extension);
        var (code, stdout, err) = extension.Length == 0
            ? Run("{\"text\": \"hello\"}\n", "embed", "--model", model)
            : Run("{\"text\": \"hello\"}\n", "embed", "--model", model, "--input", "-", "--output", output);
        Assert.That(code, Is.EqualTo(1), err);
        Assert.That(stdout, Is.Empty);
        AssertOneLineError(err, "bertsharp embed: error: ", "tensor 'encoder.layer.0.output.dense.weight' holds Infinity at index [0,3]");
        Assert.That(File.Exists(output), Is.False);
    }

    [Test]
    public void EmbeddingThatOverflowsToNaNIsAnErrorNamingTheLine()
    {
        // Finite weights, but "hello" (id 31) embeds at 3e38 per dimension: LayerNorm's sums overflow float32.
        MutableTinyCheckpoint f = MutableTinyCheckpoint.Create();
        var words = f.Tensors.First(x => x.Name == "embeddings.word_embeddings.weight");
        for (int d = 0; d < MutableTinyCheckpoint.Hidden; d++)
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(words.Data.AsSpan(4 * (31 * MutableTinyCheckpoint.Hidden + d)), 3e38f);
        string model = Path.Combine(_dir, "overflow");
        f.Write(model);
        const string input = "{\"text\": \"world\"}\n\n{\"text\": \"hello\"}\n";
        var (code, stdout, err) = Run(input, "embed", "--model", model);
        Assert.That(code, Is.EqualTo(1), err);
        Assert.That(stdout, Is.Empty, "the batch holding the bad vector is not written");
        AssertOneLineError(err, "bertsharp embed: error: stdin line 3: the embedding has NaN at dimension 0");

        string file = Path.Combine(_dir, "in.jsonl");
        File.WriteAllText(file, input);
        string output = Path.Combine(_dir, "v.npy");
        (code, _, err) = Run("", "embed", "--model", model, "--input", file, "--output", output);
        Assert.That(code, Is.EqualTo(1), err);
        AssertOneLineError(err, $"{file} line 3: the embedding has NaN");
        Assert.That(File.Exists(output), Is.False);
    }
}
