using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Engine.Tasks;
using BertSharp.Tokenization;
using BertSharp.Weights;

namespace BertSharp.Tests.Commands;

/// <summary>
/// The task commands fill-mask, classify, ner, qa, nsp, words end to end on the tiny head checkpoints (copied with the
/// shared tiny vocab.txt + tokenizer_config.json into a temp folder). Expected values come from the golden files:
/// manifest ids/top-5/probabilities, and for ner/qa the pure aggregation/span search run on the golden logits with
/// character offsets found by scanning the text (independent of our tokenizer's offsets).
/// </summary>
[NonParallelizable]
public class CliTaskCommandTests
{
    private readonly List<string> _temp = new();

    [OneTimeTearDown]
    public void CleanUp()
    {
        foreach (string d in _temp) if (Directory.Exists(d)) Directory.Delete(d, true);
    }

    private static (int Code, string Out, string Err) Run(string stdin, params string[] args)
    {
        var output = new StringWriter(); var error = new StringWriter();
        int code = Cli.Cli.Run(args, new StringReader(stdin), output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>A tiny model folder with the shared tokenizer files next to the weights.</summary>
    private string TinyModel(string model, bool requireTokenizer = true)
    {
        string tiny = SharedData.Require("golden/tiny");
        string src = Path.Combine(tiny, model);
        string dir = Path.Combine(Path.GetTempPath(), $"bertsharp-cli-{model}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        _temp.Add(dir);
        foreach (string f in Directory.GetFiles(src)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        File.Copy(Path.Combine(tiny, "vocab.txt"), Path.Combine(dir, "vocab.txt"));
        File.Copy(Path.Combine(tiny, "tokenizer_config.json"), Path.Combine(dir, "tokenizer_config.json"));
        if (requireTokenizer) RequireTokenizer(dir);
        return dir;
    }

    private static void RequireTokenizer(string dir)
    {
        try { BertTokenizer.FromDirectory(dir).Encode("hello"); }
        catch (NotImplementedException) { Assert.Ignore("the tokenizer is not available in this build (API stub): text commands cannot run"); }
    }

    private static JsonElement Case(string model, string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SharedData.Require($"golden/tiny/{model}/cases/manifest.json")));
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
            if (c.GetProperty("name").GetString() == name) return c.Clone();
        throw new AssertionException($"no case {name}");
    }

    private static float[] Golden(string model, string caseName, string tensor)
    {
        using var f = SafeTensorsFile.Open(SharedData.Require($"golden/tiny/{model}/cases/{caseName}.safetensors"));
        return f.ReadFloat32(tensor);
    }

    private static JsonElement Line(string output, int index = 0)
    {
        string[] lines = output.TrimEnd('\n').Split('\n');
        using var doc = JsonDocument.Parse(lines[index]);
        return doc.RootElement.Clone();
    }

    private static string Json(params (string Key, string? Value)[] fields) =>
        JsonSerializer.Serialize(fields.Where(f => f.Value is not null).ToDictionary(f => f.Key, f => f.Value), CliTestJson.Default.DictionaryStringString) + "\n";

    /// <summary>Offsets of word pieces in <paramref name="text"/> found by scanning the lower-cased text (tiny inputs are ASCII).</summary>
    private static TokenAlignment Scan(string text, IReadOnlyList<string> tokens, int[] ids)
    {
        string lower = text.ToLowerInvariant();
        int n = tokens.Count, pos = 0, word = -1;
        var offsets = new (int, int)[n]; var words = new int?[n]; var special = new int[n]; var seq = new int[n];
        for (int i = 0; i < n; i++)
        {
            string t = tokens[i];
            if (t is "[CLS]" or "[SEP]" or "[PAD]") { special[i] = 1; seq[i] = -1; continue; }
            bool sub = t.StartsWith("##", StringComparison.Ordinal);
            string piece = sub ? t[2..] : t;
            int at = lower.IndexOf(piece, pos, StringComparison.Ordinal);
            Assert.That(at, Is.GreaterThanOrEqualTo(0), $"token '{t}' not found in '{text}'");
            if (!sub) word++;
            offsets[i] = (at, at + piece.Length); words[i] = word; pos = at + piece.Length;
        }
        return new TokenAlignment(ids, [.. tokens], offsets, words, special, seq);
    }

    private static string[] Tokens(JsonElement c, int row = 0) =>
        c.GetProperty("tokens")[row].EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static int[] Ids(JsonElement c, int row = 0) =>
        c.GetProperty("input_ids")[row].EnumerateArray().Select(e => e.GetInt32()).ToArray();

    [Test]
    public void FillMaskGivesManifestTopKWithSoftmaxScores()
    {
        string dir = TinyModel("masked-lm");
        JsonElement c = Case("masked-lm", "mask");
        string text = c.GetProperty("texts")[0].GetString()!;
        var (code, output, err) = Run(Json(("text", text)), "fill-mask", "--model", dir);
        Assert.That(code, Is.EqualTo(0), err);
        JsonElement r = Line(output);
        float[] logits = Golden("masked-lm", "mask", "prediction_logits");
        int t = Ids(c).Length, v = 8000, m = 0;
        var expectedMasks = c.GetProperty("mask_predictions").EnumerateArray().ToArray();
        Assert.That(r.GetProperty("masks").GetArrayLength(), Is.EqualTo(expectedMasks.Length));
        foreach (JsonElement mask in r.GetProperty("masks").EnumerateArray())
        {
            JsonElement expected = expectedMasks[m++];
            int pos = mask.GetProperty("position").GetInt32();
            Assert.That(pos, Is.EqualTo(expected.GetProperty("position").GetInt32()));
            float[] p = logits.AsSpan(pos * v, v).ToArray();
            Scoring.SoftmaxInPlace(p);
            var preds = mask.GetProperty("predictions").EnumerateArray().ToArray();
            Assert.That(preds.Select(x => x.GetProperty("id").GetInt32()), Is.EqualTo(expected.GetProperty("top5_ids").EnumerateArray().Select(x => x.GetInt32())));
            Assert.That(preds.Select(x => x.GetProperty("token").GetString()), Is.EqualTo(expected.GetProperty("top5_tokens").EnumerateArray().Select(x => x.GetString())));
            foreach (JsonElement x in preds)
                Assert.That(x.GetProperty("score").GetSingle(), Is.EqualTo(p[x.GetProperty("id").GetInt32()]).Within(1e-5));
        }
        string sequence = r.GetProperty("sequence").GetString()!;
        Assert.That(sequence, Does.StartWith("the detective of france is environment"));
        Assert.That(sequence, Does.Not.Contain("[MASK]").And.Not.Contain("[CLS]"));

        (code, output, err) = Run(Json(("text", text)), "fill-mask", "--model", dir, "--top-k", "2");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(Line(output).GetProperty("masks")[1].GetProperty("predictions").GetArrayLength(), Is.EqualTo(2));

        (code, _, err) = Run(Json(("text", "no mask here")), "fill-mask", "--model", dir);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("line 1").And.Contain("no mask token"));
    }

    [Test]
    public void ClassifyGivesManifestProbabilitiesAndLabel()
    {
        string dir = TinyModel("seq-cls");
        foreach (string name in new[] { "single", "pair" })
        {
            JsonElement c = Case("seq-cls", name);
            JsonElement texts = c.GetProperty("texts")[0];
            string input = texts.ValueKind == JsonValueKind.Array
                ? Json(("text", texts[0].GetString()), ("text_pair", texts[1].GetString()))
                : Json(("text", texts.GetString()));
            var (code, output, err) = Run(input, "classify", "--model", dir);
            Assert.That(code, Is.EqualTo(0), err);
            JsonElement r = Line(output);
            Assert.That(r.GetProperty("label").GetString(), Is.EqualTo(c.GetProperty("predicted_label")[0].GetString()));
            float[] probs = c.GetProperty("probabilities")[0].EnumerateArray().Select(x => x.GetSingle()).ToArray();
            string[] labels = ["negative", "neutral", "positive"];
            for (int i = 0; i < 3; i++)
                Assert.That(r.GetProperty("scores").GetProperty(labels[i]).GetSingle(), Is.EqualTo(probs[i]).Within(1e-5), name + " " + labels[i]);
        }
    }

    [Test]
    public void NspGivesManifestIsNextProbability()
    {
        string dir = TinyModel("nsp");
        JsonElement c = Case("nsp", "pair");
        JsonElement texts = c.GetProperty("texts")[0];
        var (code, output, err) = Run(Json(("text", texts[0].GetString()), ("text_pair", texts[1].GetString())), "nsp", "--model", dir);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(Line(output).GetProperty("is_next").GetSingle(),
            Is.EqualTo(c.GetProperty("seq_relationship_probabilities")[0][0].GetSingle()).Within(1e-5));
        (code, _, err) = Run(Json(("text", "only one")), "nsp", "--model", dir);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("\"text_pair\""));
    }

    [TestCase("none")]
    [TestCase("simple")]
    [TestCase("first")]
    [TestCase("average")]
    [TestCase("max")]
    public void NerMatchesAggregationOfGoldenLogits(string aggregation)
    {
        string dir = TinyModel("token-cls");
        JsonElement c = Case("token-cls", "single");
        string text = c.GetProperty("texts")[0].GetString()!;
        var strategy = Enum.Parse<AggregationStrategy>(aggregation, ignoreCase: true);
        string[] labels = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"];
        var expected = EntityAggregation.Aggregate(Golden("token-cls", "single", "logits"), Scan(text, Tokens(c), Ids(c)), text, labels, strategy, 100);
        Assert.That(expected, Is.Not.Empty);

        var (code, output, err) = Run(Json(("text", text)), "ner", "--model", dir, "--aggregation", aggregation);
        Assert.That(code, Is.EqualTo(0), err);
        var actual = Line(output).GetProperty("entities").EnumerateArray().ToArray();
        Assert.That(actual.Select(e => (e.GetProperty("label").GetString(), e.GetProperty("start").GetInt32(), e.GetProperty("end").GetInt32(), e.GetProperty("text").GetString())),
            Is.EqualTo(expected.Select(e => (e.Label, e.Start, e.End, e.Text))));
        for (int i = 0; i < actual.Length; i++)
            Assert.That(actual[i].GetProperty("score").GetSingle(), Is.EqualTo(expected[i].Score).Within(1e-5));
    }

    [Test]
    public void QaMatchesSpanSearchOnGoldenLogitsAndHandlesLongContexts()
    {
        string dir = TinyModel("qa");
        JsonElement c = Case("qa", "pair");
        string question = c.GetProperty("texts")[0][0].GetString()!, context = c.GetProperty("texts")[0][1].GetString()!;
        string[] tokens = Tokens(c); int[] ids = Ids(c);
        int sep = Array.IndexOf(tokens, "[SEP]");
        var window = AnswerSpanSearch.BuildWindows(ids[1..sep], ids[(sep + 1)..^1], 64, 32, 101, 102).Single();
        Assert.That(window.Ids, Is.EqualTo(ids));
        var ctx = Scan(context, tokens[(sep + 1)..^1], ids[(sep + 1)..^1]);
        var expected = AnswerSpanSearch.Best([window], [Golden("qa", "pair", "start_logits")], [Golden("qa", "pair", "end_logits")], ctx, context, 15)!;

        var (code, output, err) = Run(JsonSerializer.Serialize(new Dictionary<string, string> { ["question"] = question, ["context"] = context },
            CliTestJson.Default.DictionaryStringString) + "\n", "qa", "--model", dir);
        Assert.That(code, Is.EqualTo(0), err);
        JsonElement r = Line(output);
        Assert.That((r.GetProperty("answer").GetString(), r.GetProperty("start").GetInt32(), r.GetProperty("end").GetInt32()),
            Is.EqualTo((expected.Text, expected.Start, expected.End)));
        Assert.That(r.GetProperty("score").GetSingle(), Is.EqualTo(expected.Score).Within(1e-5));

        // A context of ~110 tokens needs several 64-token windows; the answer is a span of the original context.
        string longContext = string.Join(" ", Enumerable.Repeat(context, 10));
        (code, output, err) = Run(JsonSerializer.Serialize(new Dictionary<string, string> { ["question"] = question, ["context"] = longContext },
            CliTestJson.Default.DictionaryStringString) + "\n", "qa", "--model", dir, "--max-answer-len", "3");
        Assert.That(code, Is.EqualTo(0), err);
        r = Line(output);
        int start = r.GetProperty("start").GetInt32(), end = r.GetProperty("end").GetInt32();
        Assert.That(end, Is.GreaterThan(start));
        Assert.That(r.GetProperty("answer").GetString(), Is.EqualTo(longContext[start..end]));
        Assert.That(r.GetProperty("answer").GetString()!.Split(' ').Length, Is.LessThanOrEqualTo(3), "max 3 tokens (all words here are single tokens)");
    }

    [Test]
    public void TaskCommandErrorsNameTheProblem()
    {
        string mlm = TinyModel("masked-lm", requireTokenizer: false);
        var (code, _, err) = Run("", "classify", "--model", mlm);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("does not fit BertForSequenceClassification").And.Contain("classifier.weight"));
        (code, _, err) = Run("", "ner", "--model", mlm, "--aggregation", "longest");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--aggregation"));
        string qa = TinyModel("qa", requireTokenizer: false);
        (code, _, err) = Run("{\"question\": \"who?\"}\n", "qa", "--model", qa);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("line 1").And.Contain("\"context\""));
        (code, _, err) = Run("", "fill-mask", "--model", mlm, "--top-k", "0");
        Assert.That(code, Is.EqualTo(2));
        (code, _, err) = Run("", "nsp", "--model", SharedData.Require("golden/tiny/qa"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("cls.seq_relationship.weight").And.Contain("pooler.dense.weight"));
    }

    [Test]
    public void WordsSeparateRiverBankFromFinanceBank()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        RequireTokenizer(model);
        string input = Json(("text", "We sat on the bank of the river and watched the water.")) +
                       Json(("text", "She deposited the money at the bank this morning.")) +
                       Json(("text", "The bank approved my loan application."));
        foreach (string[] extra in new[] { Array.Empty<string>(), ["--last-four"] })
        {
            var (code, output, err) = Run(input, ["words", "--model", model, .. extra]);
            Assert.That(code, Is.EqualTo(0), err);
            float[][] bank = new float[3][];
            for (int i = 0; i < 3; i++)
            {
                JsonElement w = Line(output, i).GetProperty("words").EnumerateArray().Single(x => x.GetProperty("word").GetString() == "bank");
                bank[i] = w.GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            }
            float riverFinance = VectorMath.CosineSimilarity(bank[0], bank[1]);
            float financeFinance = VectorMath.CosineSimilarity(bank[1], bank[2]);
            TestContext.Out.WriteLine($"{string.Join(" ", extra)}: river/finance {riverFinance:F4}, finance/finance {financeFinance:F4}");
            Assert.That(riverFinance, Is.LessThan(financeFinance));
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal partial class CliTestJson : System.Text.Json.Serialization.JsonSerializerContext;
