namespace BertSharp.Engine;

/// <summary>
/// How the word-embedding table [vocab, embedding_size] is stored (<see cref="LoadOptions.WordEmbeddingPrecision"/>,
/// <see cref="Model.EmbeddingTable"/>). A token looks up one row, dequantized to fp32 before the position and type
/// embeddings are added; everything after that is unchanged.
/// </summary>
public enum EmbeddingTablePrecision
{
    /// <summary>4 bytes a value, the checkpoint's values (the reference behaviour).</summary>
    Float32,
    /// <summary>2 bytes a value, IEEE half (round to nearest even): relative error ≤ 2⁻¹¹ for normal values.</summary>
    Float16,
    /// <summary>
    /// 1 byte a value + one fp32 scale a row: symmetric int8 per row, q = round(x · 127 / max|row|), x ≈ q · max|row| / 127
    /// (error ≤ half a step, max|row| / 254).
    /// </summary>
    Int8,
    /// <summary>
    /// Not held in memory: each row a token looks up is read from the checkpoint file when it is needed
    /// (<see cref="BertSharp.Weights.TensorRowReader"/>), converted to fp32 as at load, so the values are those of
    /// <see cref="Float32"/> at no memory cost, for one small positional read per token. The file must not change while
    /// the model is loaded: every batch checks its size and modification time, and a changed or truncated file is a
    /// <see cref="BertSharp.Weights.CheckpointException"/>, not a wrong vector. The model keeps the file open.
    /// </summary>
    File,
}
