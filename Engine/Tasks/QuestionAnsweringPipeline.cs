using BertSharp.Engine.Model.Heads;
using BertSharp.Tokenization;

namespace BertSharp.Engine.Tasks;

/// <summary>
/// Extractive QA with a BertForQuestionAnswering, as Hugging Face's QuestionAnsweringPipeline: contexts longer than a
/// window are split with overlap <see cref="DocStride"/>; see <see cref="AnswerSpanSearch"/> for the span search.
/// </summary>
public sealed class QuestionAnsweringPipeline(BertForQuestionAnswering model)
{
    public BertForQuestionAnswering Model { get; } = model;
    /// <summary>Thread budget per call (≤ 0 = all cores, 1 = the calling thread only).</summary>
    public int MaxThreads { get; init; }
    /// <summary>Longest answer in tokens (HF max_answer_len, default 15).</summary>
    public int MaxAnswerLength { get; init; } = 15;
    /// <summary>Window size in tokens; default min(384, tokenizer model_max_length, max_position_embeddings).</summary>
    public int? MaxSequenceLength { get; init; }
    /// <summary>Tokens shared by consecutive windows; default min(window / 2, 128).</summary>
    public int? DocStride { get; init; }
    /// <summary>Let "no answer" (empty, score from [CLS]) win when more likely than every span (HF handle_impossible_answer).</summary>
    public bool HandleImpossibleAnswer { get; init; }

    /// <summary>
    /// The best answer, or an empty answer with score 0 when the context has no token. All windows run as one batch,
    /// cancellable before each encoder layer.
    /// </summary>
    public QaAnswer Answer(string question, string context, CancellationToken cancellationToken = default)
    {
        BertTokenizer tokenizer = Model.Bert.RequireTokenizer();
        int maxSeqLen = MaxSequenceLength ?? Math.Min(384, tokenizer.ModelMaxLength ?? 384);
        maxSeqLen = Math.Min(maxSeqLen, Model.Config.MaxTokens);
        int docStride = DocStride ?? Math.Min(maxSeqLen / 2, 128);
        var noSpecials = new EncodeOptions { AddSpecialTokens = false };
        Encoding q = tokenizer.Encode(question, null, noSpecials);
        Encoding c = tokenizer.Encode(context, null, noSpecials);
        if (c.Ids.Length == 0) return new QaAnswer("", 0f, 0, 0);

        IReadOnlyList<QaWindow> windows = AnswerSpanSearch.BuildWindows(q.Ids, c.Ids, maxSeqLen, docStride, tokenizer.ClsTokenId, tokenizer.SepTokenId);
        var rows = new int[windows.Count][]; var types = new int[windows.Count][];
        for (int w = 0; w < windows.Count; w++) { rows[w] = windows[w].Ids; types[w] = windows[w].TypeIds; }
        BertBatch batch = BertBatch.FromRows(rows, types, tokenizer.PadTokenId);
        QuestionAnsweringModelOutput o = Model.Run(batch, new RunOptions { MaxThreads = MaxThreads, CancellationToken = cancellationToken });
        var starts = new float[windows.Count][]; var ends = new float[windows.Count][];
        int t = batch.SequenceLength;
        for (int w = 0; w < windows.Count; w++)
        {
            starts[w] = o.StartLogits.AsSpan(w * t, windows[w].Length).ToArray();
            ends[w] = o.EndLogits.AsSpan(w * t, windows[w].Length).ToArray();
        }
        return AnswerSpanSearch.Best(windows, starts, ends, TokenAlignment.FromEncoding(c), context, MaxAnswerLength, HandleImpossibleAnswer)
            ?? new QaAnswer("", 0f, 0, 0);
    }
}
