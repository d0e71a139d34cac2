using BertSharp.Weights;

namespace BertSharp.Engine.Model;

/// <summary>
/// embeddings = LayerNorm(word_embeddings[input_id] + token_type_embeddings[type] + position_embeddings[position]),
/// then, for ELECTRA with embedding_size ≠ hidden_size, embeddings_project: [embedding_size] → [hidden_size].
/// What varies by family (<see cref="EncoderArchitecture"/>): positions are 0..T−1 within each row (BERT, DistilBERT,
/// ELECTRA) or counted from padding_idx + 1 over the row's non-pad ids (RoBERTa, XLM-R, CamemBERT, MPNet: see
/// <see cref="PositionIds"/>); DistilBERT and MPNet have no token types (token_type_ids are ignored).
/// </summary>
public sealed class BertEmbeddings
{
    private readonly int _hidden, _width, _vocab, _positions, _types, _paddingIdx;
    /// <summary>
    /// [vocab, embedding_size] (embedding_size = hidden_size except for ELECTRA) as fp32; throws
    /// <see cref="InvalidOperationException"/> when the table is stored compact (<see cref="WordEmbeddingTable"/>:
    /// int8 models store it int8 by default, <see cref="LoadOptions.WordEmbeddingPrecision"/>).
    /// </summary>
    public float[] WordEmbeddings => WordEmbeddingTable.Float32;
    /// <summary>The word-embedding table in whatever precision it is stored (<see cref="EmbeddingTable.Precision"/>).</summary>
    public EmbeddingTable WordEmbeddingTable { get; }
    /// <summary>[max_position_embeddings, embedding_size]</summary>
    public float[] PositionEmbeddings { get; }
    /// <summary>[type_vocab_size, embedding_size]; null for DistilBERT and MPNet.</summary>
    public float[]? TokenTypeEmbeddings { get; }
    /// <summary>LayerNorm over embedding_size.</summary>
    public LayerNormParameters LayerNorm { get; }
    /// <summary>ELECTRA's embeddings_project [hidden, embedding_size] when embedding_size ≠ hidden_size; else null.</summary>
    public Linear? Projection { get; }
    /// <summary>Width of the tables and of the LayerNorm (embedding_size).</summary>
    public int Width => _width;

    /// <param name="wordPrecision">how the word-embedding table is stored (<see cref="LoadOptions.EffectiveWordEmbeddingPrecision"/>)</param>
    internal BertEmbeddings(Checkpoint checkpoint, BertConfig config, EmbeddingTablePrecision wordPrecision = EmbeddingTablePrecision.Float32)
    {
        EncoderParameterNames n = EncoderParameterNames.For(config.Encoder);
        _hidden = config.HiddenSize; _width = config.EmbeddingSize; _vocab = config.VocabSize; _positions = config.MaxPositionEmbeddings;
        _types = config.TypeVocabSize; _paddingIdx = config.PositionPaddingIdx;
        WordEmbeddingTable = EmbeddingTable.Load(checkpoint, n.WordEmbeddings, _vocab, _width, wordPrecision);
        PositionEmbeddings = checkpoint.ReadFloat32(n.PositionEmbeddings, _positions, _width);
        TokenTypeEmbeddings = n.TokenTypeEmbeddings is null ? null : checkpoint.ReadFloat32(n.TokenTypeEmbeddings, _types, _width);
        LayerNorm = LinearLoader.LoadLayerNorm(checkpoint, n.EmbeddingsLayerNormWeight, n.EmbeddingsLayerNormBias, _width, config.LayerNormEps);
        if (EncoderParameterNames.ProjectsEmbeddings(config))
            Projection = LinearLoader.Load(checkpoint, n.EmbeddingsProjectWeight!, n.EmbeddingsProjectBias!, _hidden, _width);
    }

    /// <summary>
    /// The position each token of one row looks up. ids, positions: [len]. From 0: t. After padding (padding_idx p):
    /// p + (non-pad ids among ids[0..t]) for a non-pad id, p for a pad id — transformers'
    /// create_position_ids_from_input_ids, which reads input_ids, not the attention mask.
    /// </summary>
    public void PositionIds(ReadOnlySpan<int> ids, Span<int> positions)
    {
        if (_paddingIdx < 0)
        {
            for (int t = 0; t < ids.Length; t++) positions[t] = t;
            return;
        }
        int p = _paddingIdx, seen = 0;
        for (int t = 0; t < ids.Length; t++)
            positions[t] = ids[t] == p ? p : p + ++seen;
    }

    /// <summary>
    /// Packed rows of the batch → the workspace's Hidden: [TotalTokens, hidden]. With a projection the LayerNorm output
    /// [TotalTokens, embedding_size] goes through the workspace's Embedded buffer first.
    /// </summary>
    internal void Forward(BertBatch batch, Workspace ws, int maxThreads)
    {
        PackedSequences packed = ws.Packed;
        int w = _width, n = packed.TotalTokens;
        Span<float> output = Projection is null ? ws.Hidden.AsSpan(0, n * w) : ws.Embedded.AsSpan(0, n * w);
        WordEmbeddingTable.EnsureSourceUnchanged();
        for (int b = 0; b < batch.BatchSize; b++)
        {
            int row = b * batch.SequenceLength, len = packed.Lengths[b];
            int seen = 0;   // non-pad ids so far (positions after padding)
            for (int t = 0; t < len; t++)
            {
                int id = batch.InputIds[row + t];
                if ((uint)id >= (uint)_vocab) throw new BertInputException($"input_ids[{b},{t}] = {id} is outside the vocabulary [0, {_vocab})");
                int position = _paddingIdx < 0 ? t : id == _paddingIdx ? _paddingIdx : _paddingIdx + ++seen;
                if (position >= _positions)
                    throw new BertInputException($"row {b} needs position {position} but the model has {_positions} positions (max_position_embeddings)");
                Span<float> x = output.Slice((packed.Offsets[b] + t) * w, w);
                ReadOnlySpan<float> word = WordEmbeddingTable.Row(id, x);   // fp32: the table's row; compact: dequantized into x
                ReadOnlySpan<float> pos = PositionEmbeddings.AsSpan(position * w, w);
                if (TokenTypeEmbeddings is not null)
                {
                    int type = batch.TokenTypeIds[row + t];
                    if ((uint)type >= (uint)_types) throw new BertInputException($"token_type_ids[{b},{t}] = {type} is outside [0, {_types}) (type_vocab_size)");
                    // Same summation order as HF: (word + token_type) + position.
                    System.Numerics.Tensors.TensorPrimitives.Add(word, TokenTypeEmbeddings.AsSpan(type * w, w), x);
                    System.Numerics.Tensors.TensorPrimitives.Add(x, pos, x);
                }
                else System.Numerics.Tensors.TensorPrimitives.Add(word, pos, x);
            }
        }
        WordEmbeddingTable.EnsureSourceUnchanged();   // (a table read from its file: not rewritten while the rows were read)
        LayerNorm.Apply(output, n);
        Projection?.Forward(output, n, ws.Hidden, maxThreads);
    }
}
