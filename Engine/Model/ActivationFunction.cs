using BertSharp.Engine.Kernels;
using BertSharp.Weights;

namespace BertSharp.Engine.Model;

/// <summary>
/// config.json "hidden_act" → its function, in the three forms the model uses: fused into a linear layer's GEMM
/// epilogue (the FFN up-projection), in place on a buffer (the MLM transform), and the double-precision reference
/// (the reference encoder). The one place a new activation is added.
/// </summary>
internal static class ActivationFunction
{
    /// <summary>y: [rows, out] = act(x: [rows, in] · Wᵀ + b), the activation applied while each piece of y is in cache.</summary>
    public static void LinearThenApply(Linear linear, HiddenActivation act, ReadOnlySpan<float> x, int rows, Span<float> y, int maxThreads)
    {
        switch (act)
        {
            case HiddenActivation.Gelu: linear.Forward(x, rows, y, default(GeluErfEpilogue), maxThreads); break;
            case HiddenActivation.GeluNew:
            case HiddenActivation.GeluPytorchTanh: linear.Forward(x, rows, y, default(GeluTanhEpilogue), maxThreads); break;
            case HiddenActivation.Relu: linear.Forward(x, rows, y, default(ReluEpilogue), maxThreads); break;
            default: throw Unknown(act);
        }
    }

    /// <summary>x = act(x), any length.</summary>
    public static void Apply(HiddenActivation act, Span<float> x)
    {
        switch (act)
        {
            case HiddenActivation.Gelu: Activations.GeluErf(x); break;
            case HiddenActivation.GeluNew:
            case HiddenActivation.GeluPytorchTanh: GeluTanhEpilogue.InPlace(x); break;
            case HiddenActivation.Relu: Activations.Relu(x); break;
            default: throw Unknown(act);
        }
    }

    /// <summary>x = act(x) with the kernels' reference forms (double precision).</summary>
    public static void ApplyReference(HiddenActivation act, Span<float> x)
    {
        switch (act)
        {
            case HiddenActivation.Gelu: Activations.GeluErfReference(x); break;
            case HiddenActivation.GeluNew:
            case HiddenActivation.GeluPytorchTanh: Activations.GeluTanhReference(x); break;
            case HiddenActivation.Relu: Activations.ReluReference(x); break;
            default: throw Unknown(act);
        }
    }

    private static NotSupportedException Unknown(HiddenActivation act) => new($"hidden_act {act}");

    /// <summary>Exact GELU as a GEMM epilogue.</summary>
    private readonly struct GeluErfEpilogue : IGemmEpilogue
    {
        public void Apply(Span<float> segment, int row, int column) => Activations.GeluErf(segment);
    }

    /// <summary>tanh-form GELU ("gelu_new", "gelu_pytorch_tanh") as a GEMM epilogue; its scratch lives on the stack.</summary>
    private readonly struct GeluTanhEpilogue : IGemmEpilogue
    {
        private const int Chunk = 256;

        public void Apply(Span<float> segment, int row, int column) => InPlace(segment);

        public static void InPlace(Span<float> x)
        {
            Span<float> scratch = stackalloc float[Chunk];
            for (int i = 0; i < x.Length; i += Chunk)
            {
                Span<float> part = x.Slice(i, Math.Min(Chunk, x.Length - i));
                Activations.GeluTanh(part, scratch);
            }
        }
    }

    /// <summary>ReLU as a GEMM epilogue.</summary>
    private readonly struct ReluEpilogue : IGemmEpilogue
    {
        public void Apply(Span<float> segment, int row, int column) => Activations.Relu(segment);
    }
}
