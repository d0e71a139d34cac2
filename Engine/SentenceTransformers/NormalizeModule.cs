namespace BertSharp.Engine.SentenceTransformers;

/// <summary>sentence-transformers models/Normalize.py: F.normalize(x, p=2, dim=1), i.e. x / max(‖x‖₂, 1e-12) per row. No folder.</summary>
public sealed class NormalizeModule(SentenceModuleEntry entry) : SentenceModule(entry)
{
    public override int OutputDimension(int inputDimension) => inputDimension;

    public override float[] Forward(float[] x, int rows, int inputDimension, int maxThreads)
    {
        for (int r = 0; r < rows; r++) VectorMath.L2Normalize(x.AsSpan(r * inputDimension, inputDimension));
        return x;
    }
}
