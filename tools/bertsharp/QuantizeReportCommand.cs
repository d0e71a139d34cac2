using System.Globalization;
using BertSharp.Engine;
using BertSharp.Engine.Kernels;
using BertSharp.Engine.Quantization;

namespace BertSharp.Cli;

/// <summary>
/// bertsharp quantize-report --model DIR [--texts FILE] [--threads N]: runs the model in fp32 and int8 on a text set
/// (FILE: one text per line; default <see cref="QuantizationReport.DefaultTexts"/>) and prints
/// <see cref="QuantizationReport"/>: per-layer relative error, sentence-embedding cosine to fp32, Spearman of all pairwise
/// similarities, mean top-10 neighbour overlap.
/// </summary>
internal static class QuantizeReportCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, ["--model", "--texts", "--threads"], []);
        if (a.Positional.Count > 0) throw new CliUsageException($"quantize-report takes no positional arguments, got '{a.Positional[0]}'");
        IReadOnlyList<string>? texts = a.Get("--texts") is string file ? ReadTexts(file) : null;
        string folder = ModelOptions.ModelFolder(a, stderr);
        var int8 = new LoadOptions { Quantization = WeightQuantization.Int8 };
        QuantizationReport r = QuantizationReport.Measure(folder, texts, int8, ModelOptions.Threads(a));
        texts ??= QuantizationReport.DefaultTexts;

        var inv = CultureInfo.InvariantCulture;
        stdout.WriteLine(string.Create(inv, $"model {folder}"));
        stdout.WriteLine(string.Create(inv, $"texts {r.Texts} ({(a.Get("--texts") ?? "built-in default set")})"));
        stdout.WriteLine(string.Create(inv, $"int8 projections {int8.Int8Projections} (others fp32); SmoothQuant alpha {int8.SmoothQuantAlpha?.ToString(inv) ?? "none"}; int8 kernel path {Int8Gemm.BestPath}"));
        stdout.WriteLine(string.Create(inv, $"7-bit weights {int8.ReducedRangeProjections & int8.Int8Projections}; int16 activations {int8.WideActivationProjections & int8.Int8Projections}"));
        stdout.WriteLine("layer  relative error of its output (‖int8 − fp32‖ / ‖fp32‖, valid tokens)");
        for (int l = 0; l < r.LayerRelativeErrors.Count; l++)
            stdout.WriteLine(string.Create(inv, $"{l,5}  {r.LayerRelativeErrors[l]:F5}"));
        stdout.WriteLine(string.Create(inv, $"sentence-embedding cosine to fp32: min {r.CosineMin:F5}, mean {r.CosineMean:F5}"));
        stdout.WriteLine(string.Create(inv, $"  lowest: text {r.WorstText}: {Shorten(texts[r.WorstText])}"));
        stdout.WriteLine(string.Create(inv, $"Spearman of {(long)r.Texts * (r.Texts - 1) / 2} pairwise similarities, fp32 vs int8: {r.Spearman:F5}"));
        stdout.WriteLine(string.Create(inv, $"mean top-{r.TopK} neighbour overlap: {r.TopKOverlap:F4}"));
        return 0;
    }

    private static string[] ReadTexts(string path)
    {
        if (!File.Exists(path)) throw new CliUsageException($"--texts {path}: no such file");
        var texts = new List<string>();
        foreach (string line in File.ReadLines(path))
            if (!string.IsNullOrWhiteSpace(line)) texts.Add(line);
        if (texts.Count < 2) throw new CliUsageException($"--texts {path}: needs at least 2 non-empty lines (one text per line), has {texts.Count}");
        return texts.ToArray();
    }

    private static string Shorten(string text) => text.Length <= 100 ? text : text[..97] + "...";
}
