using System.Text.Json;
using BertSharp.Engine.Model;
using BertSharp.Weights;

namespace BertSharp.Engine.SentenceTransformers;

/// <summary>
/// sentence-transformers models/LayerNorm.py: torch.nn.LayerNorm(dimension) (eps 1e-5, the torch default) over each
/// sentence vector. Folder: config.json {dimension}, model.safetensors {norm.weight [d], norm.bias [d]}.
/// </summary>
public sealed class LayerNormModule : SentenceModule
{
    public int Dimension => Parameters.Gamma.Length;
    public LayerNormParameters Parameters { get; }

    private LayerNormModule(SentenceModuleEntry entry, LayerNormParameters parameters) : base(entry) => Parameters = parameters;

    public static LayerNormModule Load(SentenceModuleEntry entry, string folder)
    {
        string configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath)) throw new ConfigException($"{configPath}: missing (the LayerNorm module '{entry.Name}' needs its config.json)");
        int d;
        using (JsonDocument doc = SentenceTransformersConfig.Parse(configPath))
            if (!doc.RootElement.TryGetProperty("dimension", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out d) || d <= 0)
                throw new ConfigException($"{configPath}: \"dimension\" must be a positive integer");
        string weightsPath = DenseModule.ModuleWeights(folder, entry);
        using var file = SafeTensorsFile.Open(weightsPath);
        return new LayerNormModule(entry, new LayerNormParameters(
            DenseModule.Read(file, "norm.weight", [d], weightsPath), DenseModule.Read(file, "norm.bias", [d], weightsPath), 1e-5f));
    }

    public override int OutputDimension(int inputDimension) => inputDimension == Dimension ? Dimension
        : throw new ConfigException($"LayerNorm module '{Entry.Name}' ({Entry.Path}) has dimension {Dimension} but the module before it gives {inputDimension}");

    public override float[] Forward(float[] x, int rows, int inputDimension, int maxThreads)
    {
        Parameters.Apply(x.AsSpan(0, rows * Dimension), rows);
        return x;
    }
}
