namespace BertSharp.Engine.SentenceTransformers;

/// <summary>sentence-transformers models/Dropout.py: torch.nn.Dropout, the identity at inference (model.eval()).</summary>
public sealed class DropoutModule(SentenceModuleEntry entry) : SentenceModule(entry)
{
    public override int OutputDimension(int inputDimension) => inputDimension;

    public override float[] Forward(float[] x, int rows, int inputDimension, int maxThreads) => x;
}
