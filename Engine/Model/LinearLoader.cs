using BertSharp.Weights;

namespace BertSharp.Engine.Model;

/// <summary>
/// Reads a linear layer (weight [out, in], bias [out]) or a LayerNorm (weight = γ, bias = β, [size]) from a checkpoint
/// by the names in <see cref="BertParameterNames"/>.
/// </summary>
internal static class LinearLoader
{
    public static Linear Load(Checkpoint checkpoint, string weightName, string biasName, int outFeatures, int inFeatures)
    {
        // The unpacked weight lives only until it is packed (outside the GC heap: no garbage left behind).
        using LoadBuffer weight = checkpoint.RentBuffer(checked(outFeatures * inFeatures));
        checkpoint.ReadFloat32(weightName, weight.Span, outFeatures, inFeatures);
        return new(weight.Span, checkpoint.ReadFloat32(biasName, outFeatures), outFeatures, inFeatures);
    }

    public static LayerNormParameters LoadLayerNorm(Checkpoint checkpoint, string weightName, string biasName, int size, float eps) =>
        new(checkpoint.ReadFloat32(weightName, size), checkpoint.ReadFloat32(biasName, size), eps);
}
