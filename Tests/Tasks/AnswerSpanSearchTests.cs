using BertSharp.Engine;
using BertSharp.Engine.Tasks;

namespace BertSharp.Tests.Tasks;

/// <summary>HF QuestionAnsweringPipeline span search on hand-made logits: windows, max_answer_len, boundaries, words, ties.</summary>
public class AnswerSpanSearchTests
{
    private const int Cls = 101, Sep = 102;

    [Test]
    public void WindowsFollowTheFastTokenizerOverflow()
    {
        int[] q = [7, 8];
        int[] c = Enumerable.Range(1000, 10).ToArray();
        // max 10 → room 5, stride 2 → step 3: context ranges (0,5) (3,8) (6,10).
        var w = AnswerSpanSearch.BuildWindows(q, c, 10, 2, Cls, Sep);
        Assert.That(w.Select(x => (x.ContextStart, x.ContextCount)), Is.EqualTo(new[] { (0, 5), (3, 5), (6, 4) }));
        Assert.That(w[0].Ids, Is.EqualTo(new[] { Cls, 7, 8, Sep, 1000, 1001, 1002, 1003, 1004, Sep }));
        Assert.That(w[0].TypeIds, Is.EqualTo(new[] { 0, 0, 0, 0, 1, 1, 1, 1, 1, 1 }));
        Assert.That(w[2].Ids, Is.EqualTo(new[] { Cls, 7, 8, Sep, 1006, 1007, 1008, 1009, Sep }));
        Assert.That(w.All(x => x.ContextOffset == 4));
        // Exactly fitting: one window; a window that ends at the context's end is the last.
        Assert.That(AnswerSpanSearch.BuildWindows(q, c.AsSpan(0, 5), 10, 2, Cls, Sep), Has.Count.EqualTo(1));
        Assert.That(AnswerSpanSearch.BuildWindows(q, c.AsSpan(0, 8), 10, 2, Cls, Sep).Select(x => x.ContextStart), Is.EqualTo(new[] { 0, 3 }));
    }

    [Test]
    public void WindowErrorsNameTheProblem()
    {
        Assert.That(() => AnswerSpanSearch.BuildWindows([1, 2, 3, 4, 5, 6, 7], [9], 10, 2, Cls, Sep),
            Throws.TypeOf<BertInputException>().With.Message.Contains("question has 7 tokens"));
        Assert.That(() => AnswerSpanSearch.BuildWindows([1], Enumerable.Range(0, 20).ToArray(), 10, 6, Cls, Sep),
            Throws.TypeOf<BertInputException>().With.Message.Contains("doc_stride 6"));
    }

    /// <summary>Context "aa bb cc dd ee ff gg hh ii jj" as 10 one-word tokens, word i at [3i, 3i+2).</summary>
    private static (string Text, TokenAlignment Align) Context(int words = 10)
    {
        var text = string.Join(" ", Enumerable.Range(0, words).Select(i => new string((char)('a' + i), 2)));
        var offsets = Enumerable.Range(0, words).Select(i => (3 * i, 3 * i + 2)).ToArray();
        return (text, new TokenAlignment(Enumerable.Range(1000, words).ToArray(), new string[words], offsets,
            Enumerable.Range(0, words).Select(i => (int?)i).ToArray(), new int[words], new int[words]));
    }

    private static (float[] Start, float[] End) Flat(QaWindow w, float cls = 0f)
    {
        var s = new float[w.Length]; var e = new float[w.Length];
        s[0] = e[0] = cls;
        return (s, e);
    }

    [Test]
    public void ScoreIsProductOfProbabilitiesWithClsInTheSoftmaxButNeverAnswer()
    {
        var (text, ctx) = Context(3);
        var w = AnswerSpanSearch.BuildWindows([7], ctx.Ids, 20, 5, Cls, Sep);
        var (s, e) = Flat(w[0], cls: 10f);            // [CLS] dominates the softmax but is not an answer
        s[1] = 50f; e[1] = 50f;                        // question token: excluded entirely
        s[w[0].ContextOffset + 1] = 2f; e[w[0].ContextOffset + 2] = 3f;
        var a = AnswerSpanSearch.Best(w, [s], [e], ctx, text, 15)!;
        double zs = Math.Exp(10) + Math.Exp(2) + 2, ze = Math.Exp(10) + Math.Exp(3) + 2;   // [CLS] + 3 context tokens
        Assert.That(a.Score, Is.EqualTo(Math.Exp(2) / zs * (Math.Exp(3) / ze)).Within(1e-9));
        Assert.That((a.Text, a.Start, a.End), Is.EqualTo(("bb cc", 3, 8)));
    }

    [Test]
    public void MaxAnswerLenLimitsTheSpan()
    {
        var (text, ctx) = Context(10);
        var w = AnswerSpanSearch.BuildWindows([7], ctx.Ids, 20, 5, Cls, Sep);
        Assert.That(w, Has.Count.EqualTo(1));
        var (s, e) = Flat(w[0]);
        int o = w[0].ContextOffset;
        s[o + 1] = 6f; e[o + 6] = 6f; e[o + 3] = 4f;
        Assert.That(AnswerSpanSearch.Best(w, [s], [e], ctx, text, 15)!.Text, Is.EqualTo("bb cc dd ee ff gg"));
        Assert.That(AnswerSpanSearch.Best(w, [s], [e], ctx, text, 6)!.Text, Is.EqualTo("bb cc dd ee ff gg"), "6 tokens fit in 6");
        Assert.That(AnswerSpanSearch.Best(w, [s], [e], ctx, text, 5)!.Text, Is.EqualTo("bb cc dd"), "too long: next best end");
        Assert.That(AnswerSpanSearch.Best(w, [s], [e], ctx, text, 1)!.Text, Is.EqualTo("bb"));
        // end before start is never chosen
        var (s2, e2) = Flat(w[0]);
        s2[o + 5] = 9f; e2[o + 2] = 9f;
        var a = AnswerSpanSearch.Best(w, [s2], [e2], ctx, text, 15)!;
        Assert.That(a.Start, Is.LessThanOrEqualTo(a.End));
        Assert.That(a.Text, Is.Not.EqualTo("").And.Not.Contains("cc dd ee ff"));
    }

    [Test]
    public void AnswerSpanningAWindowBoundaryComesFromTheWindowHoldingIt()
    {
        var (text, ctx) = Context(10);
        var w = AnswerSpanSearch.BuildWindows([7, 8], ctx.Ids, 10, 2, Cls, Sep);   // ranges (0,5) (3,8) (6,10)
        var starts = new List<float[]>(); var ends = new List<float[]>();
        foreach (QaWindow win in w)
        {
            var (s, e) = Flat(win);
            // The model sees the answer "ee ff gg" (context tokens 4..6); window 0 holds only its start.
            for (int t = 0; t < win.ContextCount; t++)
            {
                int c = win.ContextStart + t;
                if (c == 4) s[win.ContextOffset + t] = 6f;
                if (c == 6) e[win.ContextOffset + t] = 6f;
            }
            starts.Add(s); ends.Add(e);
        }
        var a = AnswerSpanSearch.Best(w, starts, ends, ctx, text, 15)!;
        Assert.That((a.Text, a.Start, a.End), Is.EqualTo(("ee ff gg", 12, 20)));
        // Window 0 alone can only answer up to its last context token.
        var only0 = AnswerSpanSearch.Best([w[0]], [starts[0]], [ends[0]], ctx, text, 15)!;
        Assert.That(only0.End, Is.LessThanOrEqualTo(14));
        Assert.That(AnswerSpanSearch.BestInWindow(w[1], starts[1], ends[1], 15)!.Value.Score, Is.EqualTo(a.Score));
    }

    [Test]
    public void TiesGoToTheEarliestSpanAndWindow()
    {
        var (text, ctx) = Context(10);
        var w = AnswerSpanSearch.BuildWindows([7, 8], ctx.Ids, 10, 2, Cls, Sep);
        // All-flat logits: each window's best is its first context token with score 1/(n+1)² (n context tokens + [CLS]).
        // Windows 0 and 1 (5 tokens) tie: the earliest wins. Window 2 has 4 tokens, so it scores higher: windows are
        // normalised separately, as in HF.
        var flat = w.Select(x => Flat(x)).ToArray();
        var a = AnswerSpanSearch.Best([w[0], w[1]], [flat[0].Start, flat[1].Start], [flat[0].End, flat[1].End], ctx, text, 15)!;
        Assert.That((a.Text, a.Start), Is.EqualTo(("aa", 0)));
        Assert.That(a.Score, Is.EqualTo(1f / 36).Within(1e-7));
        a = AnswerSpanSearch.Best(w, flat.Select(f => f.Start).ToArray(), flat.Select(f => f.End).ToArray(), ctx, text, 15)!;
        Assert.That((a.Text, a.Score), Is.EqualTo(("gg", 1f / 25)).Using<(string, float)>((x, y) => x.Item1 == y.Item1 && Math.Abs(x.Item2 - y.Item2) < 1e-7));
        // Equal scores in windows 0 and 1 for different spans: window 0's.
        var (s0, e0) = Flat(w[0]); var (s1, e1) = Flat(w[1]);
        s0[w[0].ContextOffset + 1] = e0[w[0].ContextOffset + 1] = 8f;     // "bb" in window 0
        s1[w[1].ContextOffset + 2] = e1[w[1].ContextOffset + 2] = 8f;     // "ff" in window 1 (same local layout)
        a = AnswerSpanSearch.Best([w[0], w[1]], [s0, s1], [e0, e1], ctx, text, 15)!;
        Assert.That(a.Text, Is.EqualTo("bb"));
    }

    [Test]
    public void AnswersAreWidenedToWholeWordsWithinTheWindow()
    {
        // "unbelievable story": un ##bel ##iev ##able story (word 0 = 4 pieces, word 1)
        const string text = "unbelievable story";
        var ctx = new TokenAlignment([1, 2, 3, 4, 5], ["un", "##bel", "##iev", "##able", "story"],
            [(0, 2), (2, 5), (5, 8), (8, 12), (13, 18)], [0, 0, 0, 0, 1], new int[5], new int[5]);
        var w = AnswerSpanSearch.BuildWindows([7], ctx.Ids, 20, 5, Cls, Sep);
        var (s, e) = Flat(w[0]);
        int o = w[0].ContextOffset;
        s[o + 2] = 9f; e[o + 2] = 9f;   // "##iev" alone
        var a = AnswerSpanSearch.Best(w, [s], [e], ctx, text, 15)!;
        Assert.That((a.Text, a.Start, a.End), Is.EqualTo(("unbelievable", 0, 12)));

        // A window that holds only the word's tail widens only to what it holds (HF word_to_chars on the window).
        var w2 = AnswerSpanSearch.BuildWindows([7, 8, 9, 10, 11], ctx.Ids, 10, 1, Cls, Sep);   // room 2, step 1
        Assert.That(w2[2].ContextStart, Is.EqualTo(2));
        var starts = w2.Select(x => Flat(x).Start).ToArray(); var ends = w2.Select(x => Flat(x).End).ToArray();
        for (int i = 0; i < w2.Count; i++) { starts[i][0] = 0; }
        starts[2][w2[2].ContextOffset + 1] = 20f; ends[2][w2[2].ContextOffset + 1] = 20f;   // "##able" in window (2,4)
        a = AnswerSpanSearch.Best(w2, starts, ends, ctx, text, 15)!;
        Assert.That((a.Text, a.Start, a.End), Is.EqualTo(("ievable", 5, 12)));
    }

    [Test]
    public void LogitCountMismatchIsAnError()
    {
        var (text, ctx) = Context(3);
        var w = AnswerSpanSearch.BuildWindows([7], ctx.Ids, 20, 5, Cls, Sep);
        Assert.That(() => AnswerSpanSearch.Best(w, [new float[2]], [new float[2]], ctx, text, 15),
            Throws.TypeOf<BertInputException>().With.Message.Contains("window of 7 tokens"));
        Assert.That(() => AnswerSpanSearch.BestInWindow(w[0], new float[7], new float[7], 0),
            Throws.TypeOf<BertInputException>().With.Message.Contains("max_answer_len 0"));
    }
}

/// <summary>handle_impossible_answer: the empty answer scored by [CLS], minimum over windows.</summary>
public class AnswerSpanSearchImpossibleAnswerTests
{
    [Test]
    public void EmptyAnswerWinsOnlyWhenClsBeatsEverySpanInEveryWindow()
    {
        const string text = "aa bb cc";
        var ctx = new TokenAlignment([1, 2, 3], new string[3], [(0, 2), (3, 5), (6, 8)], [0, 1, 2], new int[3], new int[3]);
        var w = AnswerSpanSearch.BuildWindows([7], ctx.Ids, 20, 5, 101, 102);
        var s = new float[w[0].Length]; var e = new float[w[0].Length];
        s[0] = e[0] = 6f; s[w[0].ContextOffset + 1] = e[w[0].ContextOffset + 1] = 2f;
        double z = Math.Exp(6) + Math.Exp(2) + 2;
        float nullScore = (float)(Math.Exp(6) / z * (Math.Exp(6) / z));

        var without = AnswerSpanSearch.Best(w, [s], [e], ctx, text, 15)!;
        Assert.That(without.Text, Is.EqualTo("bb"), "[CLS] is never an answer by default");
        var with = AnswerSpanSearch.Best(w, [s], [e], ctx, text, 15, handleImpossibleAnswer: true)!;
        Assert.That((with.Text, with.Start, with.End), Is.EqualTo(("", 0, 0)));
        Assert.That(with.Score, Is.EqualTo(nullScore).Within(1e-6));

        // Two windows: the null score is the minimum; a window where [CLS] is weak keeps the span.
        var s2 = (float[])s.Clone(); var e2 = (float[])e.Clone();
        s2[0] = e2[0] = -5f;
        var two = AnswerSpanSearch.Best([w[0], w[0]], [s, s2], [e, e2], ctx, text, 15, handleImpossibleAnswer: true)!;
        Assert.That(two.Text, Is.EqualTo("bb"));
    }
}
