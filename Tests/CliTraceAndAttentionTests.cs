using System.Globalization;
using System.Xml.Linq;
using BertSharp.Cli;
using BertSharp.Engine;

namespace BertSharp.Tests;

/// <summary>`bertsharp hidden --trace` and `bertsharp attention` (the SVG heatmap).</summary>
[NonParallelizable]
public class CliTraceAndAttentionTests
{
    private const string River = "the river flowed over the bank.";
    private const string Rates = "the bank strongly resisted cutting interest rates.";

    private static (int Code, string Out, string Err) Run(string stdin, params string[] args)
    {
        var output = new StringWriter(); var error = new StringWriter();
        int code = Cli.Cli.Run(args, new StringReader(stdin), output, error);
        return (code, output.ToString(), error.ToString());
    }

    private sealed record StageLine(string Stage, string Shape, double Mean, double Std, double Min, double Max);

    /// <summary>The stage table: lines after the "stage shape mean std min max" header, up to the closing line.</summary>
    private static List<StageLine> ParseTrace(string output)
    {
        string[] lines = output.Replace("\r", "").Split('\n');
        int header = Array.FindIndex(lines, l => l.StartsWith("stage ", StringComparison.Ordinal));
        Assert.That(header, Is.GreaterThanOrEqualTo(0), output);
        var result = new List<StageLine>();
        for (int i = header + 1; i < lines.Length && lines[i].Length > 0 && !lines[i].StartsWith("sentence_embedding =", StringComparison.Ordinal); i++)
        {
            string line = lines[i];
            int open = line.IndexOf('['), close = line.IndexOf(']');
            Assert.That(open, Is.GreaterThan(0), line);
            string[] numbers = line[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(numbers, Has.Length.EqualTo(4), line);
            double P(int k) => double.Parse(numbers[k], CultureInfo.InvariantCulture);
            result.Add(new StageLine(line[..open].Trim(), line[open..(close + 1)], P(0), P(1), P(2), P(3)));
        }
        return result;
    }

    [Test]
    public void TracePrintsOneLinePerStageWithFiniteStatisticsAndShapes()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        // Two rows of different lengths: the shorter one is padded, and padding must not count.
        var (code, output, err) = Run("{\"text\": \"Hello world!\"}\n{\"text\": \"" + River + "\"}\n", "hidden", "--model", model, "--trace");
        Assert.That(code, Is.EqualTo(0), err);
        List<StageLine> stages = ParseTrace(output);

        var expected = new List<(string, string)> { ("embeddings", "[2, 9, 384]") };
        for (int l = 0; l < 6; l++)
        {
            expected.Add(($"layer.{l}.attention+ln", "[2, 9, 384]"));
            expected.Add(($"layer.{l}.ffn_activation", "[2, 9, 1536]"));
            expected.Add(($"layer.{l}.output", "[2, 9, 384]"));
        }
        expected.Add(("last_hidden_state", "[2, 9, 384]"));
        expected.Add(("pooler_output", "[2, 384]"));
        expected.Add(("sentence_embedding", "[2, 384]"));
        Assert.That(stages.Select(s => (s.Stage, s.Shape)), Is.EqualTo(expected));

        foreach (StageLine s in stages)
        {
            Assert.That(new[] { s.Mean, s.Std, s.Min, s.Max }, Is.All.Matches<double>(double.IsFinite), s.Stage);
            Assert.That(s.Std, Is.GreaterThan(0), s.Stage);
            Assert.That(s.Min, Is.LessThanOrEqualTo(s.Mean).And.LessThanOrEqualTo(s.Max), s.Stage);
        }
        Assert.That(stages[^4], Is.EqualTo(stages[^3] with { Stage = "layer.5.output" }), "last layer output = last_hidden_state");
        // Each sentence embedding is unit length: 384 · (std² + mean²) = 1 per row.
        StageLine st = stages[^1];
        Assert.That(384 * (st.Std * st.Std + st.Mean * st.Mean), Is.EqualTo(1).Within(1e-3));

        // The recomputed layers (the reference encoder, plain loops) agree with the engine's fused path.
        string last = output.Replace("\r", "").Split('\n').First(l => l.StartsWith("sentence_embedding =", StringComparison.Ordinal));
        double diff = double.Parse(last[(last.LastIndexOf('=') + 1)..].Trim(), CultureInfo.InvariantCulture);
        Assert.That(diff, Is.LessThan(1e-4), last);
    }

    [Test]
    public void TraceStatisticsOfLastHiddenStateEqualThoseOfTheApiOutput()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        var (code, output, err) = Run("", "hidden", "--model", model, "--trace", "Hello world!", River);
        Assert.That(code, Is.EqualTo(0), err);
        StageLine line = ParseTrace(output).Single(s => s.Stage == "last_hidden_state");

        ModelOutput o = BertModel.Load(model).Run(["Hello world!", River]);
        int h = o.HiddenSize;
        double sum = 0, sumSq = 0, min = double.MaxValue, max = double.MinValue; long n = 0;
        for (int i = 0; i < o.BatchSize * o.SequenceLength; i++)
        {
            if (o.AttentionMask[i] == 0) continue;
            for (int c = 0; c < h; c++)
            {
                double v = o.LastHiddenState[i * h + c];
                sum += v; sumSq += v * v; n++; min = Math.Min(min, v); max = Math.Max(max, v);
            }
        }
        Assert.That(n, Is.EqualTo((5 + 9) * h), "[CLS] hello world ! [SEP] is 5 tokens, the river sentence 9: padding excluded");
        double mean = sum / n, std = Math.Sqrt(sumSq / n - mean * mean);
        const double printed = 1e-6;   // F6
        Assert.That(line.Mean, Is.EqualTo(mean).Within(printed));
        Assert.That(line.Std, Is.EqualTo(std).Within(printed));
        Assert.That(line.Min, Is.EqualTo(min).Within(printed));
        Assert.That(line.Max, Is.EqualTo(max).Within(printed));
    }

    [Test]
    public void TraceTokenPrintsOneTokensValuesAtEveryStage()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        var (code, output, err) = Run("", "hidden", "--model", model, "--trace", "--token", "6", River);
        Assert.That(code, Is.EqualTo(0), err);
        string[] lines = output.Replace("\r", "").Split('\n');
        int start = Array.FindIndex(lines, l => l.StartsWith("token 6 'bank' of row 0", StringComparison.Ordinal));
        Assert.That(start, Is.GreaterThan(0), output);
        string[] rows = lines[(start + 1)..].TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).ToArray();
        Assert.That(rows, Has.Length.EqualTo(5 + 3 * 6 + 2), output);
        Assert.That(rows[0].TrimStart(), Does.StartWith("word_embeddings[2924]"));
        double[] Values(string row) => row[29..row.IndexOf('|')].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        double[] word = Values(rows[0]), pos = Values(rows[1]), type = Values(rows[2]), sum = Values(rows[3]);
        for (int c = 0; c < 6; c++) Assert.That(sum[c], Is.EqualTo(word[c] + pos[c] + type[c]).Within(2e-4));
        ModelOutput o = BertModel.Load(model).Run([River]);
        Assert.That(Values(rows[^3]), Is.EqualTo(o.LastHiddenState.AsSpan(6 * 384, 6).ToArray().Select(v => Math.Round(v, 4))).Within(1e-4));

        (code, _, err) = Run("", "hidden", "--model", model, "--trace", "--token", "9", River);
        Assert.That(code, Is.EqualTo(2)); Assert.That(err, Does.Contain("--token 9 is out of range"));
    }

    [Test]
    public void TraceMakesOutputOptionalButHiddenStillNeedsOneOfThem()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        var (code, _, err) = Run("{\"text\": \"hi\"}\n", "hidden", "--model", model);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("missing required option --output"));
    }

    [Test]
    public void AttentionWritesAnSvgHeatmapWithOneCellPerTokenPairAndTheTokenLabels()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        string path = Path.Combine(Path.GetTempPath(), $"bertsharp-attention-{Guid.NewGuid():N}.svg");
        try
        {
            var (code, output, err) = Run("", "attention", "--model", model, "--layer", "0", "--head", "4", "--output", path, Rates);
            Assert.That(code, Is.EqualTo(0), err);
            Assert.That(output, Does.Contain("wrote " + path));

            XDocument svg = XDocument.Load(path);
            XNamespace ns = "http://www.w3.org/2000/svg";
            Assert.That(svg.Root!.Name, Is.EqualTo(ns + "svg"));
            string[] tokens = ["[CLS]", "the", "bank", "strongly", "resisted", "cutting", "interest", "rates", ".", "[SEP]"];
            int len = tokens.Length;
            var cells = svg.Descendants(ns + "rect").Where(r => (string?)r.Attribute("class") == "cell").ToList();
            Assert.That(cells, Has.Count.EqualTo(len * len));
            Assert.That(svg.Descendants(ns + "text").Where(t => (string?)t.Attribute("class") == "row-label").Select(t => t.Value), Is.EqualTo(tokens));
            Assert.That(svg.Descendants(ns + "text").Where(t => (string?)t.Attribute("class") == "col-label").Select(t => t.Value), Is.EqualTo(tokens));
            string title = svg.Descendants(ns + "text").Single(t => (string?)t.Attribute("class") == "title").Value;
            Assert.That(title, Does.Contain("all-MiniLM-L6-v2").And.Contain("layer 0").And.Contain("head 4"));
            Assert.That(svg.Descendants(ns + "rect").Count(r => (string?)r.Attribute("class") == "scale"), Is.GreaterThan(1), "colour scale");

            // Cells are row-major (query i, key j) and show the engine's probabilities.
            ModelOutput o = BertModel.Load(model).Run([Rates], null, new RunOptions { OutputAttentions = true });
            int t = o.SequenceLength;
            for (int i = 0; i < len; i++)
            {
                double rowSum = 0;
                for (int j = 0; j < len; j++)
                {
                    string tip = cells[i * len + j].Element(ns + "title")!.Value;
                    Assert.That(tip, Does.StartWith($"{tokens[i]} → {tokens[j]}: "));
                    double p = double.Parse(tip[(tip.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
                    Assert.That(p, Is.EqualTo(o.Attentions![0][(4 * t + i) * t + j]).Within(6e-5));
                    Assert.That(cells[i * len + j].Attribute("fill")!.Value, Is.EqualTo(AttentionHeatmap.Colour(o.Attentions[0][(4 * t + i) * t + j])));
                    rowSum += p;
                }
                Assert.That(rowSum, Is.EqualTo(1).Within(1e-3), $"row {i}");
            }
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void AttentionQueryPrintsScoresWhoseSoftmaxIsTheEngineRow()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        string path = Path.Combine(Path.GetTempPath(), $"bertsharp-attention-{Guid.NewGuid():N}.svg");
        try
        {
            var (code, output, err) = Run("", "attention", "--model", model, "--layer", "3", "--head", "7", "--query", "6", "--output", path, River);
            Assert.That(code, Is.EqualTo(0), err);
            string[] lines = output.Replace("\r", "").Split('\n');
            int start = Array.FindIndex(lines, l => l.StartsWith("query token 6 'bank'", StringComparison.Ordinal));
            Assert.That(start, Is.GreaterThan(0), output);
            var scores = new double[9]; var softmax = new double[9]; var engine = new double[9];
            for (int j = 0; j < 9; j++)
            {
                string[] f = lines[start + 2 + j].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                Assert.That(f[0], Is.EqualTo(j.ToString(CultureInfo.InvariantCulture)));
                scores[j] = double.Parse(f[2], CultureInfo.InvariantCulture);
                softmax[j] = double.Parse(f[3], CultureInfo.InvariantCulture);
                engine[j] = double.Parse(f[4], CultureInfo.InvariantCulture);
            }
            double max = scores.Max(), z = scores.Sum(s => Math.Exp(s - max));
            for (int j = 0; j < 9; j++)
            {
                Assert.That(softmax[j], Is.EqualTo(Math.Exp(scores[j] - max) / z).Within(2e-4), $"key {j}");
                Assert.That(engine[j], Is.EqualTo(softmax[j]).Within(1e-4), $"key {j}");
            }
        }
        finally { File.Delete(path); }
    }

    [TestCase("--layer", "6", "--head", "0", "--layer 6 is out of range: the model has 6 layers (0..5)")]
    [TestCase("--layer", "-1", "--head", "0", "--layer -1 is out of range")]
    [TestCase("--layer", "0", "--head", "12", "--head 12 is out of range: the model has 12 heads per layer (0..11)")]
    [TestCase("--layer", "zero", "--head", "0", "option --layer needs an integer, got 'zero'")]
    public void AttentionRejectsABadLayerOrHeadWithExitCode2(string o1, string v1, string o2, string v2, string message)
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        string path = Path.Combine(Path.GetTempPath(), $"bertsharp-attention-{Guid.NewGuid():N}.svg");
        var (code, _, err) = Run("", "attention", "--model", model, o1, v1, o2, v2, "--output", path, River);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain(message));
        Assert.That(File.Exists(path), Is.False, "nothing is written on a usage error");
    }

    [Test]
    public void AttentionNeedsExactlyOneTextAndAQueryInsideIt()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        var (code, _, err) = Run("", "attention", "--model", model, "--layer", "0", "--head", "0", "--output", "x.svg");
        Assert.That(code, Is.EqualTo(2)); Assert.That(err, Does.Contain("exactly one TEXT"));
        (code, _, err) = Run("", "attention", "--model", model, "--layer", "0", "--head", "0", "--query", "9", "--output", "x.svg", River);
        Assert.That(code, Is.EqualTo(2)); Assert.That(err, Does.Contain("--query 9 is out of range: the text has 9 tokens (0..8)"));
    }

    [Test]
    public void HeatmapEscapesTokensAndColoursTheScaleEnds()
    {
        string svg = AttentionHeatmap.Render("a <title> & \"quotes\"", ["<", "&", "\"x'"], [1, 0, 0, 0.5f, 0.5f, 0, 0, 0, 1]);
        XDocument doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.That(doc.Descendants(ns + "text").Where(t => (string?)t.Attribute("class") == "row-label").Select(t => t.Value),
            Is.EqualTo(new[] { "<", "&", "\"x'" }));
        Assert.That(doc.Descendants(ns + "rect").Count(r => (string?)r.Attribute("class") == "cell"), Is.EqualTo(9));
        Assert.That(AttentionHeatmap.Colour(0), Is.EqualTo("#ffffff"));
        Assert.That(AttentionHeatmap.Colour(1), Is.EqualTo("#08306b"));
        Assert.Throws<ArgumentException>(() => AttentionHeatmap.Render("t", ["a", "b"], [1, 0, 0]));
    }
}
