using BertSharp.Engine;
using BertSharp.Weights;

namespace BertSharp.Cli;

/// <summary>
/// bertsharp hidden --model DIR [--output FILE.safetensors] [--trace [--token I]] [TEXT ...]
/// Reads one batch as JSON Lines on stdin — {"text": ..., "text_pair": ...} or explicit
/// {"input_ids": [...], "attention_mask": [...], "token_type_ids": [...]} — or takes the TEXT arguments as the batch,
/// pads it, runs the model with every hidden state and attention, and writes them with the golden files' tensor names.
/// --trace prints per stage shape, mean, std, min, max to stdout (<see cref="HiddenTrace"/>); --output is then optional.
/// --token I (with --trace) adds the first values of token I of row 0 at every stage.
/// The whole batch and every output tensor are held in memory: a batch whose tensors would exceed --max-output-mb
/// (default 512) is refused before the model runs, naming the limit (peak memory is about three times the output size).
/// </summary>
public static class HiddenCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, [.. ModelOptions.ValueOptions, "--output", "--token", "--max-output-mb"], ["--trace"]);
        long maxOutputMb = a.GetInt("--max-output-mb") ?? DefaultMaxOutputMb;
        if (maxOutputMb < 1) throw new CliUsageException("--max-output-mb must be at least 1");
        bool trace = a.Has("--trace");
        string? outputPath = trace ? a.Get("--output") : a.Require("--output");
        var model = BertModel.Load(ModelOptions.ModelFolder(a, stderr), ModelOptions.Load(a));
        var options = new RunOptions { OutputHiddenStates = true, OutputAttentions = true, MaxThreads = ModelOptions.Threads(a) };

        var texts = new List<string>(); var pairs = new List<string?>();
        var ids = new List<int[]>(); var masks = new List<int[]?>(); var types = new List<int[]?>();
        foreach (string text in a.Positional) { texts.Add(text); pairs.Add(null); }
        if (a.Positional.Count == 0)
        {
            foreach (var (line, obj) in JsonLines.Read(stdin))
            {
                if (obj.TryGetProperty("input_ids", out _))
                {
                    int[] rowIds = JsonLines.RequireInts(obj, "input_ids", line);
                    int[]? m = JsonLines.OptionalInts(obj, "attention_mask", line), tt = JsonLines.OptionalInts(obj, "token_type_ids", line);
                    if (m is not null && m.Length != rowIds.Length) throw new CliUsageException($"stdin line {line}: attention_mask has {m.Length} values, input_ids {rowIds.Length}");
                    if (tt is not null && tt.Length != rowIds.Length) throw new CliUsageException($"stdin line {line}: token_type_ids has {tt.Length} values, input_ids {rowIds.Length}");
                    ids.Add(rowIds); masks.Add(m); types.Add(tt);
                }
                else
                {
                    texts.Add(JsonLines.RequireString(obj, "text", line));
                    pairs.Add(JsonLines.OptionalString(obj, "text_pair", line));
                }
            }
        }
        if (texts.Count > 0 && ids.Count > 0) throw new CliUsageException("mix of text lines and input_ids lines: give one kind per batch");
        if (texts.Count == 0 && ids.Count == 0) throw new CliUsageException("no input lines on stdin");

        LongInputOptions? longInputs = ModelOptions.LongInputs(a);
        int rows = texts.Count > 0 ? texts.Count : ids.Count;
        int tokens = texts.Count > 0 ? LongestEncoding(model, texts, pairs, longInputs) : LongestRow(ids);
        CheckOutputSize(model.Config, rows, tokens, maxOutputMb);

        ModelOutput output = texts.Count > 0
            ? model.Run(texts, pairs, options, longInputs)
            : model.Run(ExplicitBatch(ids, masks, types), options);
        int? token = a.GetInt("--token");
        if (token is not null && !trace) throw new CliUsageException("--token needs --trace");
        if (token is int ti && (ti < 0 || ti >= output.Batch.ActiveLength(0)))
            throw new CliUsageException($"--token {ti} is out of range: row 0 has {output.Batch.ActiveLength(0)} tokens (0..{output.Batch.ActiveLength(0) - 1})");
        if (trace) HiddenTrace.Write(model, output, stdout, token);
        if (outputPath is not null)
        {
            Write(model, output, outputPath);
            stdout.WriteLine($"wrote {outputPath}: batch {output.BatchSize} x {output.SequenceLength} tokens, {output.HiddenStates!.Count} hidden states");
        }
        return 0;
    }

    /// <summary>Default of --max-output-mb: bytes of tensors one `hidden` run may produce.</summary>
    public const int DefaultMaxOutputMb = 512;

    /// <summary>
    /// Bytes `hidden` writes for rows × tokens: hidden states (layers + 1), embeddings_output, last_hidden_state and
    /// sum_last4 [rows, tokens, hidden]; attentions (layers) [rows, heads, tokens, tokens]; small per-row tensors.
    /// </summary>
    public static long OutputBytes(BertConfig c, long rows, long tokens)
    {
        long perHidden = rows * tokens * c.HiddenSize;
        long hiddenTensors = c.NumHiddenLayers + 1 + 2 + (c.NumHiddenLayers + 1 >= 5 ? 1 : 0);
        long attention = rows * c.NumAttentionHeads * tokens * tokens;
        return 4 * (hiddenTensors * perHidden + c.NumHiddenLayers * attention + 3 * rows * c.HiddenSize) + 3 * 8 * rows * tokens;
    }

    private static void CheckOutputSize(BertConfig c, int rows, int tokens, long maxOutputMb)
    {
        long bytes = OutputBytes(c, rows, tokens);
        if (bytes <= maxOutputMb << 20) return;
        throw new CliUsageException(
            $"{rows} rows padded to {tokens} tokens would produce {(bytes + (1 << 20) - 1) >> 20} MB of tensors " +
            $"({c.NumHiddenLayers + 1} hidden states of [{rows},{tokens},{c.HiddenSize}], {c.NumHiddenLayers} attention maps of [{rows},{c.NumAttentionHeads},{tokens},{tokens}]), " +
            $"more than the --max-output-mb limit of {maxOutputMb} MB; hidden holds one batch in memory: give fewer or shorter lines (embed streams any number), or raise the limit");
    }

    /// <summary>The padded length the batch will have: the longest encoding, at most the model's positions (or --max-length).</summary>
    private static int LongestEncoding(BertModel model, List<string> texts, List<string?> pairs, LongInputOptions? longInputs)
    {
        var tokenizer = model.RequireTokenizer();
        int cap = Math.Min(longInputs?.MaxLength ?? model.Config.MaxPositionEmbeddings, model.Config.MaxPositionEmbeddings);
        int longest = 0;
        for (int i = 0; i < texts.Count && longest < cap; i++)
            longest = Math.Max(longest, tokenizer.Encode(texts[i], pairs[i]).Ids.Length);
        return Math.Min(longest, cap);
    }

    private static int LongestRow(List<int[]> ids)
    {
        int longest = 0;
        foreach (int[] r in ids) longest = Math.Max(longest, r.Length);
        return longest;
    }

    private static BertBatch ExplicitBatch(List<int[]> ids, List<int[]?> masks, List<int[]?> types)
    {
        int b = ids.Count, t = 0;
        foreach (int[] r in ids) t = Math.Max(t, r.Length);
        var flatIds = new int[b * t]; var flatMask = new int[b * t]; var flatTypes = new int[b * t];
        for (int i = 0; i < b; i++)
        {
            ids[i].CopyTo(flatIds, i * t);
            types[i]?.CopyTo(flatTypes, i * t);
            if (masks[i] is int[] m) m.CopyTo(flatMask, i * t);
            else Array.Fill(flatMask, 1, i * t, ids[i].Length);
        }
        return new BertBatch(b, t, flatIds, flatTypes, flatMask);
    }

    /// <summary>Tensor names as in shared/golden: hidden_states.N, attentions.N, last_hidden_state, ... and the int64 inputs.</summary>
    private static void Write(BertModel model, ModelOutput o, string path)
    {
        int b = o.BatchSize, t = o.SequenceLength, h = o.HiddenSize;
        var w = new SafeTensorsWriter();
        w.Metadata["format"] = "pt";
        w.Metadata["producer"] = "bertsharp hidden";
        w.Add("input_ids", ToLong(o.Batch.InputIds), b, t);
        w.Add("attention_mask", ToLong(o.Batch.AttentionMask), b, t);
        w.Add("token_type_ids", ToLong(o.Batch.TokenTypeIds), b, t);
        w.Add("embeddings_output", o.HiddenStates![0], b, t, h);
        for (int i = 0; i < o.HiddenStates.Count; i++) w.Add($"hidden_states.{i}", o.HiddenStates[i], b, t, h);
        if (o.Attentions is not null)
            for (int i = 0; i < o.Attentions.Count; i++) w.Add($"attentions.{i}", o.Attentions[i], b, o.NumHeads, t, t);
        w.Add("last_hidden_state", o.LastHiddenState, b, t, h);
        if (o.PoolerOutput is not null) w.Add("pooler_output", o.PoolerOutput, b, h);

        // sentence_embedding: the model's own sentence-transformers recipe, else masked mean + L2 normalise.
        SentenceTransformersConfig? st = model.SentenceTransformers;
        w.Add("sentence_embedding", Flatten(Pooling.Pool(o, st?.Pooling ?? PoolingMode.Mean, st?.Normalize ?? true), h), b, h);
        w.Add("cls_embedding", Flatten(Pooling.Pool(o, PoolingMode.Cls, normalize: false), h), b, h);
        if (o.HiddenStates.Count >= 5) w.Add("sum_last4", LayerFeatures.SumLastFour(o), b, t, h);
        w.Save(path);
    }

    private static long[] ToLong(int[] values)
    {
        var r = new long[values.Length];
        for (int i = 0; i < values.Length; i++) r[i] = values[i];
        return r;
    }

    private static float[] Flatten(float[][] rows, int width)
    {
        var r = new float[rows.Length * width];
        for (int i = 0; i < rows.Length; i++) rows[i].CopyTo(r, i * width);
        return r;
    }
}
