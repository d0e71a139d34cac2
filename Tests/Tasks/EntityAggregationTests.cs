using BertSharp.Engine.Tasks;

namespace BertSharp.Tests.Tasks;

/// <summary>HF TokenClassificationPipeline post-processing on hand-made logits: strategies, BIO merging, edges, [UNK], ties.</summary>
public class EntityAggregationTests
{
    private static readonly string[] Labels = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"];
    private const int Unk = 100;
    private static readonly float Confident = Softmax1(5f);   // probability of a label with logit 5 vs six at 0

    private static float Softmax1(float top) => MathF.Exp(top) / (MathF.Exp(top) + 6f);

    /// <summary>[CLS] + the given word pieces (token, start, end, word) + [SEP], as the tokenizer would report them.</summary>
    private static TokenAlignment Align(params (string Token, int Start, int End, int Word, int Id)[] pieces)
    {
        int n = pieces.Length + 2;
        var ids = new int[n]; var tokens = new string[n]; var offsets = new (int, int)[n]; var words = new int?[n];
        var special = new int[n]; var seq = new int[n];
        ids[0] = 101; tokens[0] = "[CLS]"; special[0] = 1; seq[0] = -1;
        ids[^1] = 102; tokens[^1] = "[SEP]"; special[^1] = 1; seq[^1] = -1;
        for (int i = 0; i < pieces.Length; i++)
        {
            var p = pieces[i];
            ids[i + 1] = p.Id; tokens[i + 1] = p.Token; offsets[i + 1] = (p.Start, p.End); words[i + 1] = p.Word;
        }
        return new TokenAlignment(ids, tokens, offsets, words, special, seq);
    }

    /// <summary>Logits [tokens, 7]: each token's label gets <paramref name="top"/>, the others 0; specials get "O".</summary>
    private static float[] Logits(int tokens, params string[] labelPerPiece)
    {
        var logits = new float[tokens * Labels.Length];
        logits[0] = 5f; logits[(tokens - 1) * Labels.Length] = 5f;
        for (int i = 0; i < labelPerPiece.Length; i++) logits[(i + 1) * Labels.Length + Array.IndexOf(Labels, labelPerPiece[i])] = 5f;
        return logits;
    }

    private static void Same(Entity actual, Entity expected)
    {
        Assert.That((actual.Label, actual.Start, actual.End, actual.Text), Is.EqualTo((expected.Label, expected.Start, expected.End, expected.Text)));
        Assert.That(actual.Score, Is.EqualTo(expected.Score).Within(1e-6), expected.Label + " score");
    }

    private const string JohnText = "John Smith lives in Paris";
    private static TokenAlignment John() => Align(("john", 0, 4, 0, 2198), ("smith", 5, 10, 1, 3044), ("lives", 11, 16, 2, 3268),
        ("in", 17, 19, 3, 1999), ("paris", 20, 25, 4, 3000));

    [Test]
    public void SimpleMergesBioRunsAndKeepsOriginalSpans()
    {
        var e = EntityAggregation.Aggregate(Logits(7, "B-PER", "I-PER", "O", "O", "B-LOC"), John(), JohnText, Labels,
            AggregationStrategy.Simple, Unk);
        Assert.That(e, Has.Count.EqualTo(2));
        Same(e[0], new Entity("PER", Confident, 0, 10, "John Smith"));
        Same(e[1], new Entity("LOC", Confident, 20, 25, "Paris"));   // entity at the last token before [SEP]
    }

    [Test]
    public void NoneGivesOneEntityPerTokenWithFullLabelAndIndex()
    {
        var e = EntityAggregation.Aggregate(Logits(7, "B-PER", "I-PER", "O", "O", "B-LOC"), John(), JohnText, Labels,
            AggregationStrategy.None, Unk);
        Assert.That(e.Select(x => (x.Label, x.Text, x.TokenIndex)),
            Is.EqualTo(new[] { ("B-PER", "John", 1), ("I-PER", "Smith", 2), ("B-LOC", "Paris", 5) }));
    }

    [Test]
    public void BTagStartsANewEntityAndIAfterOStartsOne()
    {
        // B-PER B-PER: two people. O I-LOC I-LOC: an entity starting with I-.
        var e = EntityAggregation.Aggregate(Logits(7, "B-PER", "B-PER", "O", "I-LOC", "I-LOC"), John(), JohnText, Labels,
            AggregationStrategy.Simple, Unk);
        Assert.That(e.Select(x => (x.Label, x.Text)), Is.EqualTo(new[] { ("PER", "John"), ("PER", "Smith"), ("LOC", "in Paris") }));
        // Different tag with I-: splits.
        e = EntityAggregation.Aggregate(Logits(7, "B-PER", "I-ORG", "O", "O", "O"), John(), JohnText, Labels, AggregationStrategy.Simple, Unk);
        Assert.That(e.Select(x => (x.Label, x.Text)), Is.EqualTo(new[] { ("PER", "John"), ("ORG", "Smith") }));
    }

    [Test]
    public void EntityAtFirstTokenAndWholeSequence()
    {
        var a = Align(("paris", 0, 5, 0, 3000));
        var e = EntityAggregation.Aggregate(Logits(3, "B-LOC"), a, "Paris", Labels, AggregationStrategy.First, Unk);
        Assert.That(e, Has.Count.EqualTo(1));
        Same(e[0], new Entity("LOC", Confident, 0, 5, "Paris"));
        e = EntityAggregation.Aggregate(Logits(3, "O"), a, "Paris", Labels, AggregationStrategy.Simple, Unk);
        Assert.That(e, Is.Empty, "O is ignored");
        e = EntityAggregation.Aggregate(Logits(2), Align(), "", Labels, AggregationStrategy.Average, Unk);
        Assert.That(e, Is.Empty, "only specials");
    }

    // "Washington is" → washing ##ton is
    private const string WashText = "Washington is";
    private static TokenAlignment Wash() => Align(("washing", 0, 7, 0, 5),  ("##ton", 7, 10, 0, 6), ("is", 11, 13, 1, 7));

    [Test]
    public void WordStrategiesGroupSubwordPieces()
    {
        // washing: B-LOC (logit 5), ##ton: I-PER with logit 8 (more confident).
        float[] logits = Logits(5, "B-LOC", "O", "O");
        int L = Labels.Length;
        logits[2 * L + 0] = 0f; logits[2 * L + 2] = 8f;
        float p8 = MathF.Exp(8) / (MathF.Exp(8) + 6f);

        var simple = EntityAggregation.Aggregate(logits, Wash(), WashText, Labels, AggregationStrategy.Simple, Unk);
        Assert.That(simple.Select(x => (x.Label, x.Text)), Is.EqualTo(new[] { ("LOC", "Washing"), ("PER", "ton") }), "simple splits the word");

        var first = EntityAggregation.Aggregate(logits, Wash(), WashText, Labels, AggregationStrategy.First, Unk);
        Assert.That(first, Has.Count.EqualTo(1));
        Same(first[0], new Entity("LOC", Confident, 0, 10, "Washington"));

        var max = EntityAggregation.Aggregate(logits, Wash(), WashText, Labels, AggregationStrategy.Max, Unk);
        Assert.That(max.Select(x => (x.Label, x.Start, x.End, x.Text)), Is.EqualTo(new[] { ("PER", 0, 10, "Washington") }));
        Assert.That(max[0].Score, Is.EqualTo(p8).Within(1e-6));

        // average of the two softmax rows: I-PER (p8/2 + 1/(e^5+6)/1·…) vs B-LOC; I-PER wins.
        var avg = EntityAggregation.Aggregate(logits, Wash(), WashText, Labels, AggregationStrategy.Average, Unk);
        float otherAt5 = 1f / (MathF.Exp(5) + 6f), otherAt8 = 1f / (MathF.Exp(8) + 6f);
        Assert.That(avg, Has.Count.EqualTo(1));
        Assert.That(avg[0].Label, Is.EqualTo("PER"));
        Assert.That(avg[0].Score, Is.EqualTo((otherAt5 + p8) / 2).Within(1e-6));
        Assert.That(avg[0].Text, Is.EqualTo("Washington"));
        Assert.That((Confident + otherAt8) / 2, Is.LessThan(avg[0].Score), "LOC average is lower");
    }

    [Test]
    public void UnknownTokenIsItsOwnWordEvenWithoutSpace()
    {
        // "Paris☃x": paris [UNK](☃) x — [UNK] is longer than its one-character span but is never a subword;
        // "x" (same length as its text) is a new word too.
        const string text = "Paris☃x";
        var a = Align(("paris", 0, 5, 0, 3000), ("[UNK]", 5, 6, 1, Unk), ("x", 6, 7, 2, 1060));
        var e = EntityAggregation.Aggregate(Logits(5, "B-LOC", "B-ORG", "B-ORG"), a, text, Labels, AggregationStrategy.First, Unk);
        Assert.That(e.Select(x => (x.Label, x.Text, x.Start, x.End)),
            Is.EqualTo(new[] { ("LOC", "Paris", 0, 5), ("ORG", "☃", 5, 6), ("ORG", "x", 6, 7) }));
        // Without the [UNK] rule the piece would join "paris" as a subword: check the id matters.
        var asSubword = Align(("paris", 0, 5, 0, 3000), ("[UNK]", 5, 6, 1, 999), ("x", 6, 7, 2, 1060));
        e = EntityAggregation.Aggregate(Logits(5, "B-LOC", "B-ORG", "B-ORG"), asSubword, text, Labels, AggregationStrategy.First, Unk);
        Assert.That(e.Select(x => x.Text), Is.EqualTo(new[] { "Paris☃", "x" }));
    }

    [Test]
    public void TiesPickTheLowerLabelId()
    {
        float[] logits = Logits(3, "B-LOC");
        logits[1 * Labels.Length + 1] = 5f;   // B-PER ties B-LOC
        var e = EntityAggregation.Aggregate(logits, Align(("paris", 0, 5, 0, 3000)), "Paris", Labels, AggregationStrategy.None, Unk);
        Assert.That(e.Single().Label, Is.EqualTo("B-PER"));
        Assert.That(e.Single().Score, Is.EqualTo(MathF.Exp(5) / (2 * MathF.Exp(5) + 5)).Within(1e-6));
    }

    [Test]
    public void NonBioLabelsContinueAndScoresAreMeans()
    {
        string[] labels = ["O", "PER"];
        var a = Align(("john", 0, 4, 0, 1), ("smith", 5, 10, 1, 2));
        float[] logits = [5, 0, 0, 2, 0, 4, 5, 0];
        var e = EntityAggregation.Aggregate(logits, a, "John Smith", labels, AggregationStrategy.Simple, Unk);
        float p2 = 1 / (1 + MathF.Exp(-2)), p4 = 1 / (1 + MathF.Exp(-4));
        Assert.That(e.Single().Label, Is.EqualTo("PER"));
        Assert.That(e.Single().Text, Is.EqualTo("John Smith"));
        Assert.That(e.Single().Score, Is.EqualTo((p2 + p4) / 2).Within(1e-6));
    }

    [Test]
    public void BadInputsAreClearErrors()
    {
        Assert.That(() => EntityAggregation.Aggregate(new float[3], John(), JohnText, Labels, AggregationStrategy.Simple, Unk),
            Throws.TypeOf<Engine.BertInputException>().With.Message.Contains("expected [7,7]"));
        var a = Align(("paris", 0, 50, 0, 3000));
        Assert.That(() => EntityAggregation.Aggregate(Logits(3, "O"), a, "Paris", Labels, AggregationStrategy.Simple, Unk),
            Throws.TypeOf<Engine.BertInputException>().With.Message.Contains("token 1 ('paris')"));
    }
}
