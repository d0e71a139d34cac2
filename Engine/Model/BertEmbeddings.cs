using BertSharp.Weights;
using N = BertSharp.Weights.BertParameterNames;

namespace BertSharp.Engine.Model;

/// <summary>
/// embeddings = LayerNorm(word_embeddings[input_id] + position_embeddings[position] + token_type_embeddings[type]).
/// Positions are 0..T-1 within each row (HF "absolute" position_embedding_type).
/// </summary>
public sealed class BertEmbeddings
{
    private readonly int _hidden, _vocab, _positions, _types;
    /// <summary>[vocab, hidden]</summary>
    public float[] WordEmbeddings { get; }
    /// <summary>[max_position_embeddings, hidden]</summary>
    public float[] PositionEmbeddings { get; }
    /// <summary>[type_vocab_size, hidden]</summary>
    public float[] TokenTypeEmbeddings { get; }
    public LayerNormParameters LayerNorm { get; }

    internal BertEmbeddings(Checkpoint checkpoint, BertConfig config)
    {
        _hidden = config.HiddenSize; _vocab = config.VocabSize; _positions = config.MaxPositionEmbeddings; _types = config.TypeVocabSize;
        WordEmbeddings = checkpoint.ReadFloat32(N.WordEmbeddings, _vocab, _hidden);
        PositionEmbeddings = checkpoint.ReadFloat32(N.PositionEmbeddings, _positions, _hidden);
        TokenTypeEmbeddings = checkpoint.ReadFloat32(N.TokenTypeEmbeddings, _types, _hidden);
        LayerNorm = LinearLoader.LoadLayerNorm(checkpoint, N.EmbeddingsLayerNormWeight, N.EmbeddingsLayerNormBias, _hidden, config.LayerNormEps);
    }

    /// <summary>output: [TotalTokens, hidden], packed rows of the batch.</summary>
    internal void Forward(BertBatch batch, PackedSequences packed, Span<float> output)
    {
        int h = _hidden;
        for (int b = 0; b < batch.BatchSize; b++)
        {
            for (int t = 0; t < packed.Lengths[b]; t++)
            {
                int i = b * batch.SequenceLength + t;
                int id = batch.InputIds[i], type = batch.TokenTypeIds[i];
                if ((uint)id >= (uint)_vocab) throw new BertInputException($"input_ids[{b},{t}] = {id} is outside the vocabulary [0, {_vocab})");
                if ((uint)type >= (uint)_types) throw new BertInputException($"token_type_ids[{b},{t}] = {type} is outside [0, {_types}) (type_vocab_size)");
                if (t >= _positions) throw new BertInputException($"row {b} has {packed.Lengths[b]} tokens; the model has {_positions} positions (max_position_embeddings)");
                Span<float> row = output.Slice((packed.Offsets[b] + t) * h, h);
                ReadOnlySpan<float> word = WordEmbeddings.AsSpan(id * h, h);
                ReadOnlySpan<float> pos = PositionEmbeddings.AsSpan(t * h, h);
                ReadOnlySpan<float> typ = TokenTypeEmbeddings.AsSpan(type * h, h);
                // Same summation order as HF: (word + token_type) + position.
                System.Numerics.Tensors.TensorPrimitives.Add(word, typ, row);
                System.Numerics.Tensors.TensorPrimitives.Add(row, pos, row);
            }
        }
        LayerNorm.Apply(output[..(packed.TotalTokens * h)], packed.TotalTokens);
    }
}
