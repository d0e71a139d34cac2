using System.Text.Json;
using BertSharp.Engine.Model;
using BertSharp.Weights;

namespace BertSharp.Engine.SentenceTransformers;

/// <summary>
/// sentence-transformers models/Dense.py: y = activation_function(linear(x)), linear = torch.nn.Linear(in_features,
/// out_features, bias). Folder: config.json {in_features, out_features, bias, activation_function} and
/// model.safetensors {linear.weight [out, in], linear.bias [out]} (a folder with only pytorch_model.bin is refused:
/// BertSharp reads safetensors only).
/// </summary>
public sealed class DenseModule : SentenceModule
{
    public int InFeatures => Linear.InFeatures;
    public int OutFeatures => Linear.OutFeatures;
    public bool HasBias { get; }
    public TorchActivation Activation { get; }
    /// <summary>W: [out, in], b: [out] (zeros when bias is false).</summary>
    public Linear Linear { get; }

    private DenseModule(SentenceModuleEntry entry, Linear linear, bool bias, TorchActivation activation) : base(entry)
    {
        Linear = linear; HasBias = bias; Activation = activation;
    }

    /// <summary>Reads the module folder <paramref name="folder"/> (modules.json path of <paramref name="entry"/>).</summary>
    public static DenseModule Load(SentenceModuleEntry entry, string folder)
    {
        string configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath)) throw new ConfigException($"{configPath}: missing (the Dense module '{entry.Name}' needs its config.json)");
        int inFeatures, outFeatures; bool bias; string? activation;
        using (JsonDocument doc = SentenceTransformersConfig.Parse(configPath))
        {
            JsonElement root = doc.RootElement;
            inFeatures = PositiveInt(root, "in_features", configPath);
            outFeatures = PositiveInt(root, "out_features", configPath);
            bias = true;                                              // Dense.__init__ default bias=True
            if (root.TryGetProperty("bias", out var b))
                bias = b.ValueKind is JsonValueKind.True or JsonValueKind.False ? b.GetBoolean()
                    : throw new ConfigException($"{configPath}: \"bias\" must be true or false");
            activation = "torch.nn.modules.activation.Tanh";          // Dense.__init__ default activation_function=nn.Tanh()
            if (root.TryGetProperty("activation_function", out var a))
                activation = a.ValueKind == JsonValueKind.String ? a.GetString()
                    : throw new ConfigException($"{configPath}: \"activation_function\" must be a torch.nn class name");
        }
        TorchActivation act = TorchActivations.Parse(activation, configPath);
        string weightsPath = ModuleWeights(folder, entry);
        using var file = SafeTensorsFile.Open(weightsPath);
        float[] weight = Read(file, "linear.weight", [outFeatures, inFeatures], weightsPath);
        float[] biasValues = bias ? Read(file, "linear.bias", [outFeatures], weightsPath) : new float[outFeatures];
        if (!bias && file.Contains("linear.bias"))
            throw new CheckpointException($"{weightsPath}: has 'linear.bias' but {configPath} says \"bias\": false");
        return new DenseModule(entry, new Linear(weight, biasValues, outFeatures, inFeatures), bias, act);
    }

    public override int OutputDimension(int inputDimension) => inputDimension == InFeatures ? OutFeatures
        : throw new ConfigException($"Dense module '{Entry.Name}' ({Entry.Path}) takes {InFeatures} features (in_features) but the module before it gives {inputDimension}");

    public override float[] Forward(float[] x, int rows, int inputDimension, int maxThreads)
    {
        var y = new float[rows * OutFeatures];
        Linear.Forward(x.AsSpan(0, rows * InFeatures), rows, y, maxThreads);
        TorchActivations.Apply(Activation, y);
        return y;
    }

    /// <summary>
    /// The module folder's model.safetensors; a clear error when the folder has only pytorch_model.bin (a pickle
    /// BertSharp does not read) or no weights at all.
    /// </summary>
    internal static string ModuleWeights(string folder, SentenceModuleEntry entry)
    {
        string path = Path.Combine(folder, "model.safetensors");
        if (File.Exists(path)) return path;
        string bin = Path.Combine(folder, "pytorch_model.bin");
        if (File.Exists(bin))
            throw new CheckpointException($"{bin}: module '{entry.Name}' ({entry.ClassName}) has PyTorch pickle weights only; BertSharp reads " +
                "model.safetensors (convert it, e.g. load and save the model with sentence-transformers ≥ 3, which writes safetensors)");
        throw new CheckpointException($"{path}: missing (module '{entry.Name}' ({entry.ClassName}) needs its weights)");
    }

    internal static float[] Read(SafeTensorsFile file, string name, int[] shape, string path)
    {
        if (!file.TryGetTensor(name, out TensorInfo info)) throw new CheckpointException($"{path}: tensor '{name}' is missing");
        if (info.Shape.Length != shape.Length || !info.Shape.AsSpan().SequenceEqual(Array.ConvertAll(shape, d => (long)d)))
            throw new CheckpointException($"{path}: tensor '{name}' has shape [{string.Join(",", info.Shape)}], expected [{string.Join(",", shape)}]");
        return file.ReadFloat32(name);
    }

    private static int PositiveInt(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n) || n <= 0)
            throw new ConfigException($"{path}: \"{name}\" must be a positive integer");
        return n;
    }
}
