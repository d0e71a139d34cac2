namespace BertSharp.Engine.SentenceTransformers;

/// <summary>
/// A sentence-transformers module that runs after Pooling: it maps sentence vectors [rows, in] to [rows, out]
/// (features["sentence_embedding"] in sentence-transformers). Immutable after load; safe to share between threads.
/// </summary>
public abstract class SentenceModule
{
    /// <summary>The modules.json entry this module was loaded from.</summary>
    public SentenceModuleEntry Entry { get; }

    private protected SentenceModule(SentenceModuleEntry entry) => Entry = entry;

    /// <summary>The output width for an input of <paramref name="inputDimension"/>; an error naming the module when it cannot take it.</summary>
    public abstract int OutputDimension(int inputDimension);

    /// <summary>x: [rows, in] → [rows, <see cref="OutputDimension"/>]; may change x in place and return it.</summary>
    public abstract float[] Forward(float[] x, int rows, int inputDimension, int maxThreads);

    public override string ToString() => $"{Entry.ClassName} ({(Entry.Path.Length == 0 ? "." : Entry.Path)})";
}
