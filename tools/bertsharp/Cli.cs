namespace BertSharp.Cli;

/// <summary>Command dispatch. Each command is one file named after it (TokenizeCommand.cs, EmbedCommand.cs, ...).</summary>
public static class Cli
{
    private const string Usage =
        "usage: bertsharp <command> [options]\n" +
        "commands:\n" +
        "  tokenize   --model DIR [--max-length N] [--truncation S] [--padding longest|max_length] [--truncation-side left|right] [--padding-side left|right]  (JSON Lines on stdin)\n" +
        "  embed      --model DIR [--pooling cls|mean|max|mean_sqrt_len|pooler|weightedmean|lasttoken] [--normalize|--no-normalize]\n" +
        "             [--prompt-name NAME|--prompt TEXT] [--dimensions N] [TEXT ...]\n" +
        "             (no TEXT: JSON Lines {\"text\": ...} on stdin; one {\"embedding\": [...]} line per text)\n" +
        "  embed      --sparse --model DIR [--top-k K] [TEXT ...]  (SPLADE, BertForMaskedLM: {\"sparse\": [{\"index\", \"value\"}, ...]})\n" +
        "  hidden     --model DIR [--output FILE.safetensors] [--trace [--token I]] [TEXT ...]  (no TEXT: one JSON Lines\n" +
        "             batch on stdin; --trace: shape, mean, std, min, max per stage on stdout, --token: one token's values)\n" +
        "             [--max-output-mb N] (default 512: a batch whose tensors would be larger is refused before running)\n" +
        "  attention  --model DIR --layer L --head H --output FILE.svg [--query I] TEXT  (one head's attention as an SVG heatmap)\n" +
        "  similarity --model DIR TEXT_A TEXT_B\n" +
        "  inspect    --model DIR  (config summary + tensor table: name, dtype, shape, bytes)\n" +
        "  embed      --model DIR --input FILE.jsonl|- --output FILE.npy|.safetensors|.jsonl [--batch-size N] [--window N]\n" +
        "             [--progress] [--skip-bad-lines] [--precision float32|int8|uint8|binary|ubinary [--ranges R.npy]]\n" +
        "             (streams a corpus of any size; rows in input order; quantized rows need .npy)\n" +
        "  search     --model DIR --index FILE.npy --corpus FILE.jsonl [--top-k K] [--rescore [--rescore-multiplier M]] QUERY\n" +
        "             (cosine / int8 dot / Hamming top-k by the index's precision: {\"rank\", \"score\", \"line\", \"text\"})\n" +
        "  rerank     --model DIR [--top-k K] [--raw-scores]  ({\"query\", \"documents\": [...]} lines -> {\"results\": [{\"index\", \"score\", \"text\"}]})\n" +
        "  bench      --model DIR|--synthetic bert-base-uncased [--batch B] [--seq S] [--threads N] [--runs R]  (one JSON line)\n" +
        "  fill-mask  --model DIR [--top-k K]  ({\"text\", \"text_pair\"} lines -> {\"masks\": [...], \"sequence\"})\n" +
        "  classify   --model DIR  ({\"text\", \"text_pair\"} lines -> {\"label\", \"scores\": {label: p}})\n" +
        "  ner        --model DIR [--aggregation none|simple|first|average|max]  ({\"text\"} lines -> {\"entities\": [...]})\n" +
        "  qa         --model DIR [--max-answer-len N] [--max-seq-len N] [--doc-stride N] [--handle-impossible-answer]\n" +
        "             ({\"question\", \"context\"} lines -> {\"answer\", \"score\", \"start\", \"end\"})\n" +
        "  nsp        --model DIR  ({\"text\", \"text_pair\"} lines -> {\"is_next\": p})\n" +
        "  words      --model DIR [--aggregation mean|first] [--last-four]  ({\"text\"} lines -> {\"words\": [...]})\n" +
        "  serve      --model DIR [--host 127.0.0.1] [--port 8080] [--api-key KEY] [--max-batch-tokens N] [--max-batch-requests N]\n" +
        "             [--max-concurrent-requests N] [--max-client-batch-size N] [--payload-limit BYTES] [--auto-truncate]\n" +
        "             [--served-model-name NAME]  (HTTP: TEI /embed /tokenize /info /health, OpenAI /v1/embeddings)\n" +
        "  quantize-report --model DIR [--texts FILE]  (int8 vs fp32 on a text set, one per line; default: a built-in set:\n" +
        "             per-layer relative error, embedding cosine min/mean, Spearman of pairwise similarities, top-10 overlap)\n" +
        "--model takes a folder or a Hugging Face hub id org/name[@revision] (downloaded into the HF cache)\n" +
        "model commands take --threads N and --quantize none|int8 (int8: dynamic int8 encoder, see quantize-report); embed, hidden and similarity also take\n" +
        "  --long-inputs error|truncate|window [--max-length N] [--stride N] and --embedding-table fp32|f16|int8|file (word-embedding storage;\n" +
        "  file: read from the checkpoint per token, no memory; also on bench and serve)\n";

    /// <summary>Runs one command; returns the process exit code (0 ok, 1 error, 2 usage).</summary>
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? stderr : stdout).Write(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        string command = args[0];
        var rest = args.AsSpan(1).ToArray();
        try
        {
            return command switch
            {
                "embed" => EmbedCommand.Run(rest, stdin, stdout, stderr),
                "hidden" => HiddenCommand.Run(rest, stdin, stdout, stderr),
                "attention" => AttentionCommand.Run(rest, stdin, stdout, stderr),
                "similarity" => SimilarityCommand.Run(rest, stdin, stdout, stderr),
                "inspect" => InspectCommand.Run(rest, stdin, stdout, stderr),
                "bench" => BenchCommand.Run(rest, stdin, stdout, stderr),
                "tokenize" => TokenizeCommand.Run(rest, stdin, stdout, stderr),
                "fill-mask" => FillMaskCommand.Run(rest, stdin, stdout, stderr),
                "classify" => ClassifyCommand.Run(rest, stdin, stdout, stderr),
                "ner" => NerCommand.Run(rest, stdin, stdout, stderr),
                "qa" => QaCommand.Run(rest, stdin, stdout, stderr),
                "nsp" => NspCommand.Run(rest, stdin, stdout, stderr),
                "words" => WordsCommand.Run(rest, stdin, stdout, stderr),
                "search" => SearchCommand.Run(rest, stdin, stdout, stderr),
                "rerank" => RerankCommand.Run(rest, stdin, stdout, stderr),
                "serve" => ServeCommand.Run(rest, stderr),
                "quantize-report" => QuantizeReportCommand.Run(rest, stdout, stderr),
                _ => UnknownCommand(command, stderr),
            };
        }
        catch (CliUsageException e)
        {
            stderr.WriteLine($"bertsharp {command}: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Library errors carry the file/tensor/field in their message; no stack trace for users.
            stderr.WriteLine($"bertsharp {command}: error: {e.Message}");
            return 1;
        }
    }

    private static int UnknownCommand(string command, TextWriter stderr)
    {
        stderr.WriteLine($"bertsharp: unknown command '{command}'");
        stderr.Write(Usage);
        return 2;
    }
}
