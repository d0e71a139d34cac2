using BertSharp.Engine;

namespace BertSharp.Server;

/// <summary>
/// One request's work in the batcher's queue: its texts (already validated and counted on the request thread), the
/// per-request <see cref="EmbedOptions"/>, its token cost for the batch budget, and where its answer goes.
/// </summary>
internal sealed class EmbedJob(string[] texts, EmbedOptions options, OptionsKey key, int tokens, CancellationToken aborted)
{
    public string[] Texts { get; } = texts;
    public EmbedOptions Options { get; } = options;
    /// <summary>Jobs with equal keys run in one SentenceEmbedder call (equal options = equal answers per row).</summary>
    public OptionsKey Key { get; } = key;
    /// <summary>Tokens this job adds to a forward pass (after truncation, prompt, [CLS] and [SEP] included).</summary>
    public int Tokens { get; } = tokens;
    /// <summary>The client's connection: a job whose client left is dropped before it runs.</summary>
    public CancellationToken Aborted { get; } = aborted;
    public TaskCompletionSource<EmbedResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A job's vectors (one per text, input order) and the tokens each text ran as.</summary>
internal sealed record EmbedResult(float[][] Vectors, int[] TokenCounts);

/// <summary>The per-request options that decide a row's answer; jobs batch together only when theirs are equal.</summary>
internal readonly record struct OptionsKey(string? PromptName, bool? Normalize, int? Dimensions, bool Truncate);
