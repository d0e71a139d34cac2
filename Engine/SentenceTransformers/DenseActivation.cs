using System.Numerics.Tensors;
using BertSharp.Engine.Kernels;

namespace BertSharp.Engine.SentenceTransformers;

/// <summary>
/// The activation of a sentence-transformers Dense module, stored in its config.json as the torch class's full name
/// (util.fullname: "torch.nn.modules.activation.Tanh", "torch.nn.modules.linear.Identity") and instantiated with no
/// arguments (models/Dense.py load: import_from_string(name)()), so GELU is the exact erf form.
/// </summary>
public enum DenseActivation
{
    Identity,
    Tanh,
    ReLU,
    Sigmoid,
    /// <summary>torch.nn.GELU() default: x·Φ(x) with erf.</summary>
    Gelu,
    /// <summary>torch.nn.SiLU: x·sigmoid(x).</summary>
    SiLU,
}

/// <summary>Parsing and applying <see cref="DenseActivation"/>.</summary>
public static class DenseActivations
{
    /// <summary>
    /// A torch.nn activation class path ("torch.nn.modules.activation.Tanh", "torch.nn.Tanh", …; null = Identity as
    /// Dense does for activation_function=None); any other is an error naming <paramref name="source"/>.
    /// </summary>
    public static DenseActivation Parse(string? name, string source)
    {
        if (name is null) return DenseActivation.Identity;
        string cls = name[(name.LastIndexOf('.') + 1)..];
        if (!name.StartsWith("torch.nn.", StringComparison.Ordinal) && name != cls)
            throw new BertSharp.Weights.ConfigException($"{source}: activation_function '{name}' is not a torch.nn activation BertSharp knows (Identity, Tanh, ReLU, Sigmoid, GELU, SiLU)");
        return cls switch
        {
            "Identity" => DenseActivation.Identity,
            "Tanh" => DenseActivation.Tanh,
            "ReLU" => DenseActivation.ReLU,
            "Sigmoid" => DenseActivation.Sigmoid,
            "GELU" => DenseActivation.Gelu,
            "SiLU" => DenseActivation.SiLU,
            _ => throw new BertSharp.Weights.ConfigException(
                $"{source}: activation_function '{name}' is not supported (Identity, Tanh, ReLU, Sigmoid, GELU, SiLU)"),
        };
    }

    /// <summary>x ← act(x), element-wise.</summary>
    public static void Apply(DenseActivation activation, Span<float> x)
    {
        switch (activation)
        {
            case DenseActivation.Identity: break;
            case DenseActivation.Tanh: TensorPrimitives.Tanh(x, x); break;
            case DenseActivation.ReLU: Activations.Relu(x); break;
            case DenseActivation.Sigmoid: TensorPrimitives.Sigmoid(x, x); break;
            case DenseActivation.Gelu: Activations.GeluErf(x); break;
            case DenseActivation.SiLU:
                for (int i = 0; i < x.Length; i++) x[i] = x[i] / (1f + MathF.Exp(-x[i]));
                break;
        }
    }
}
