using BertSharp.Engine.Kernels;
using BertSharp.Weights;

namespace BertSharp.Engine.Model;

/// <summary>
/// Reads a linear layer (weight [out, in], bias [out]) or a LayerNorm (weight = γ, bias = β, [size]) from a checkpoint
/// by the names in <see cref="BertParameterNames"/>.
/// </summary>
internal static class LinearLoader
{
    /// <summary>Floats read per block when a weight goes straight into its packed panels (256 KB).</summary>
    private const int BlockFloats = 1 << 16;

    public static Linear Load(Checkpoint checkpoint, string weightName, string biasName, int outFeatures, int inFeatures) =>
        new(ReadPacked(checkpoint, [weightName], outFeatures, inFeatures), checkpoint.ReadFloat32(biasName, outFeatures));

    /// <summary>
    /// An fp32 weight [parts · rowsEach, inFeatures]: the tensors <paramref name="weightNames"/> (each [rowsEach, inFeatures])
    /// stacked along the output dimension, read a block of rows at a time straight into its packed panels, so no
    /// unpacked copy of the whole weight exists next to the packed one.
    /// </summary>
    public static PackedWeight ReadPacked(Checkpoint checkpoint, ReadOnlySpan<string> weightNames, int rowsEach, int inFeatures)
    {
        foreach (string name in weightNames) checkpoint.CheckShape(name, rowsEach, inFeatures);
        var writer = new PackedWeightWriter(checked(weightNames.Length * rowsEach), inFeatures);
        int blockRows = Math.Clamp(BlockFloats / inFeatures, 1, rowsEach);
        using LoadBuffer block = checkpoint.RentBuffer(checked(blockRows * inFeatures));
        foreach (string name in weightNames)
        {
            for (int first = 0; first < rowsEach; first += blockRows)
            {
                Span<float> rows = block.Span[..(Math.Min(blockRows, rowsEach - first) * inFeatures)];
                checkpoint.ReadFloat32Rows(name, first, rows, rowsEach, inFeatures);
                writer.Append(rows);
            }
        }
        return writer.Complete();
    }

    public static LayerNormParameters LoadLayerNorm(Checkpoint checkpoint, string weightName, string biasName, int size, float eps) =>
        new(checkpoint.ReadFloat32(weightName, size), checkpoint.ReadFloat32(biasName, size), eps);
}
