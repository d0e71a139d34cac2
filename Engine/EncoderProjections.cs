namespace BertSharp.Engine;

/// <summary>The linear layers of a BERT encoder layer, as a set (which of them run int8, see <see cref="LoadOptions.Int8Projections"/>).</summary>
[Flags]
public enum EncoderProjections
{
    None = 0,
    /// <summary>attention.self query, key and value (one stacked [3·hidden, hidden] GEMM).</summary>
    QueryKeyValue = 1,
    /// <summary>attention.output.dense [hidden, hidden].</summary>
    AttentionOutput = 2,
    /// <summary>intermediate.dense [intermediate, hidden] (the FFN up projection, GELU in its epilogue).</summary>
    Intermediate = 4,
    /// <summary>output.dense [hidden, intermediate] (the FFN down projection).</summary>
    Output = 8,
    All = QueryKeyValue | AttentionOutput | Intermediate | Output,
}
