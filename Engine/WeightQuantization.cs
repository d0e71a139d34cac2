namespace BertSharp.Engine;

/// <summary>How the encoder's linear layers store and multiply their weights (<see cref="LoadOptions.Quantization"/>).</summary>
public enum WeightQuantization
{
    /// <summary>fp32 weights and fp32 GEMM (the reference behaviour).</summary>
    None,
    /// <summary>
    /// Dynamic int8: the encoder projections named by <see cref="LoadOptions.Int8Projections"/> get int8 weights per
    /// output channel (symmetric) at load; at run time each token row of their input is quantized symmetric int8, the
    /// products are summed in int32 and dequantized in the GEMM epilogue with bias, residual and activation. Attention
    /// products, softmax, LayerNorm, GELU, the embeddings, the pooler and task heads compute in fp32; the word-embedding
    /// table is stored int8 per row unless <see cref="LoadOptions.WordEmbeddingPrecision"/> says otherwise.
    /// </summary>
    Int8,
}
