using System.Numerics.Tensors;
using BertSharp.Engine.Kernels;

namespace BertSharp.Engine.SentenceTransformers;

/// <summary>
/// A torch.nn activation as sentence-transformers stores it: the class's full name (util.fullname:
/// "torch.nn.modules.activation.Tanh", "torch.nn.modules.linear.Identity"), instantiated with no arguments
/// (models/Dense.py load and CrossEncoder.get_default_activation_fn: import_from_string(name)()), so GELU is the exact
/// erf form. Used by Dense modules (activation_function) and cross-encoders (activation_fn).
/// </summary>
public enum TorchActivation
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

/// <summary>Parsing and applying <see cref="TorchActivation"/>.</summary>
public static class TorchActivations
{
    /// <summary>
    /// A torch.nn activation class path ("torch.nn.modules.activation.Tanh", "torch.nn.Tanh", …; null = Identity as
    /// Dense does for activation_function=None); any other is an error naming <paramref name="source"/>.
    /// </summary>
    public static TorchActivation Parse(string? name, string source)
    {
        if (name is null) return TorchActivation.Identity;
        string cls = name[(name.LastIndexOf('.') + 1)..];
        if (!name.StartsWith("torch.nn.", StringComparison.Ordinal) && name != cls)
            throw new BertSharp.Weights.ConfigException($"{source}: activation '{name}' is not a torch.nn activation BertSharp knows (Identity, Tanh, ReLU, Sigmoid, GELU, SiLU)");
        return cls switch
        {
            "Identity" => TorchActivation.Identity,
            "Tanh" => TorchActivation.Tanh,
            "ReLU" => TorchActivation.ReLU,
            "Sigmoid" => TorchActivation.Sigmoid,
            "GELU" => TorchActivation.Gelu,
            "SiLU" => TorchActivation.SiLU,
            _ => throw new BertSharp.Weights.ConfigException(
                $"{source}: activation '{name}' is not supported (Identity, Tanh, ReLU, Sigmoid, GELU, SiLU)"),
        };
    }

    /// <summary>x ← act(x), element-wise.</summary>
    public static void Apply(TorchActivation activation, Span<float> x)
    {
        switch (activation)
        {
            case TorchActivation.Identity: break;
            case TorchActivation.Tanh: TensorPrimitives.Tanh(x, x); break;
            case TorchActivation.ReLU: Activations.Relu(x); break;
            case TorchActivation.Sigmoid: TensorPrimitives.Sigmoid(x, x); break;
            case TorchActivation.Gelu: Activations.GeluErf(x); break;
            case TorchActivation.SiLU:
                for (int i = 0; i < x.Length; i++) x[i] = x[i] / (1f + MathF.Exp(-x[i]));
                break;
        }
    }
}
