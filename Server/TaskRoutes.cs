using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Engine.Model.Heads;
using BertSharp.Engine.SentenceTransformers;
using BertSharp.Engine.Tasks;
using BertSharp.Tokenization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BertSharp.Server;

/// <summary>
/// The routes beyond embeddings: TEI's POST /embed_all, /embed_sparse, /predict, /rerank, /decode, and BertSharp's
/// POST /token_classification, /question_answering, /fill_mask (docs/server.md). Each calls the library API of the
/// loaded head (<see cref="ServedModel"/>) as a <see cref="WorkJob{T}"/> in the batcher's queue; a route the
/// checkpoint cannot serve answers 424 (TEI's status for "model is not a re-ranker/classifier model") naming why.
/// </summary>
internal sealed class TaskRoutes(ServedModel model, EmbeddingBatcher batcher, EmbedPreparation preparation, ServerOptions options,
    Admission admission)
{
    private BertModel Bert => model.Embedder.Model;
    private BertTokenizer Tokenizer => Bert.RequireTokenizer();

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/embed_all", (RequestDelegate)EmbedAllAsync);
        app.MapPost("/embed_sparse", (RequestDelegate)EmbedSparseAsync);
        app.MapPost("/predict", (RequestDelegate)PredictAsync);
        app.MapPost("/rerank", (RequestDelegate)RerankAsync);
        app.MapPost("/decode", (RequestDelegate)DecodeAsync);
        app.MapPost("/token_classification", (RequestDelegate)TokenClassificationAsync);
        app.MapPost("/question_answering", (RequestDelegate)QuestionAnsweringAsync);
        app.MapPost("/fill_mask", (RequestDelegate)FillMaskAsync);
    }

    private ApiException Unavailable(string route, string needs, string? why = null) =>
        new(424, "backend", $"{route} needs {needs}; this model is a {model.Architecture}{(why is null ? "" : ": " + why)}");

    /// <summary>Admission, then the work in the batcher's queue (its failures become 422/500 there).</summary>
    private async Task<T> RunAsync<T>(HttpContext context, string route, int inputs, int tokens, Func<CancellationToken, T> work)
    {
        using Admission.Ticket ticket = admission.Enter();
        return await batcher.EnqueueAsync(new WorkJob<T>(route, inputs, tokens, work, context.RequestAborted));
    }

    private RunOptions Run(CancellationToken cancellationToken, bool hiddenStates = false) =>
        new() { MaxThreads = options.Threads, CancellationToken = cancellationToken, OutputHiddenStates = hiddenStates };

    private static Task WriteAsync<T>(HttpContext context, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        context.Response.WriteAsJsonAsync(value, type, cancellationToken: context.RequestAborted);

    // ---- /embed_all: token vectors of the last layer, a chosen layer, or every layer ----

    private async Task EmbedAllAsync(HttpContext context)
    {
        EmbedAllRequest request = await EmbeddingRoutes.ReadAsync(context, ServerJsonContext.Web.EmbedAllRequest);
        InputItem[] items = InputItems.Read(request.Inputs, "inputs");
        TruncationDirection direction = RequestFields.Direction(request.TruncationDirection);
        int layers = Bert.Config.NumHiddenLayers;
        if (request.OutputHiddenStates && request.Layer is not null)
            throw ApiException.Validation("send either layer or output_hidden_states, not both");
        int layer = layers;
        if (request.Layer is int l)
        {
            if (l < -(layers + 1) || l > layers)
                throw ApiException.Validation($"layer {l} must be in [{-(layers + 1)}, {layers}]: 0 = embedding output, {layers} or -1 = last layer");
            layer = l < 0 ? layers + 1 + l : l;
        }
        bool states = request.OutputHiddenStates || layer != layers;
        EncodedInput[] inputs;
        using (admission.Enter())
            inputs = preparation.Tokenize("/embed_all", items, request.PromptName, request.Truncate, direction, context.RequestAborted);
        int tokens = 0;
        foreach (EncodedInput e in inputs) tokens += e.Length;
        int h = Bert.Config.HiddenSize;
        ModelOutput output = await RunAsync(context, "/embed_all", inputs.Length, tokens, ct =>
        {
            var rows = new int[inputs.Length][];
            var types = new int[inputs.Length][];
            for (int i = 0; i < inputs.Length; i++) { rows[i] = inputs[i].Ids; types[i] = inputs[i].TypeIds; }
            return Bert.Run(BertBatch.FromRows(rows, types, Tokenizer.PadTokenId), Run(ct, states));
        });
        float[][] Rows(float[] tensor, int b)
        {
            var result = new float[inputs[b].Length][];
            for (int t = 0; t < result.Length; t++) result[t] = tensor.AsSpan((b * output.SequenceLength + t) * h, h).ToArray();
            return result;
        }
        if (request.OutputHiddenStates)
        {
            var all = new float[inputs.Length][][][];
            for (int b = 0; b < all.Length; b++)
            {
                all[b] = new float[layers + 1][][];
                for (int k = 0; k <= layers; k++) all[b][k] = Rows(output.HiddenStates![k], b);
            }
            await WriteAsync(context, all, ServerJsonContext.Web.SingleArrayArrayArrayArray);
            return;
        }
        float[] chosen = states ? output.HiddenStates![layer] : output.LastHiddenState;
        var vectors = new float[inputs.Length][][];
        for (int b = 0; b < vectors.Length; b++) vectors[b] = Rows(chosen, b);
        await WriteAsync(context, vectors, ServerJsonContext.Web.SingleArrayArrayArray);
    }

    // ---- /embed_sparse: SPLADE ----

    private async Task EmbedSparseAsync(HttpContext context)
    {
        EmbedSparseRequest request = await EmbeddingRoutes.ReadAsync(context, ServerJsonContext.Web.EmbedSparseRequest);
        SparseEncoder sparse = model.Sparse ?? throw Unavailable("/embed_sparse",
            "a SPLADE checkpoint (BertForMaskedLM, SpladePooling in modules.json)", model.SparseUnavailable);
        InputItem[] items = InputItems.Read(request.Inputs, "inputs");
        preparation.CheckCount(items.Length);
        var texts = new string[items.Length];
        for (int i = 0; i < items.Length; i++)
            texts[i] = items[i].Text ?? throw ApiException.Validation($"inputs[{i}]: /embed_sparse takes text; token-id inputs are served by /embed, /embed_all and /v1/embeddings");
        if (request.PromptName is not null) throw ApiException.Validation("prompt_name: the SPLADE encoder has no prompts");
        if (RequestFields.Direction(request.TruncationDirection) == TruncationDirection.Left)
            throw ApiException.Validation("truncation_direction Left is not supported by /embed_sparse (SparseEncoder cuts on the right)");
        bool truncate = request.Truncate ?? options.AutoTruncate;
        SparseVector[] vectors = await RunAsync(context, "/embed_sparse", texts.Length, 0, ct => sparse.Encode(texts, null, truncate, ct));
        var result = new SparseValue[vectors.Length][];
        for (int i = 0; i < vectors.Length; i++)
        {
            // TEI lists the non-zero weights in index order.
            SparseVector v = vectors[i];
            int[] order = new int[v.Count];
            for (int k = 0; k < order.Length; k++) order[k] = k;
            Array.Sort(order, (a, b) => v.Indices[a].CompareTo(v.Indices[b]));
            result[i] = new SparseValue[order.Length];
            for (int k = 0; k < order.Length; k++) result[i][k] = new SparseValue { Index = v.Indices[order[k]], Value = v.Values[order[k]] };
        }
        await WriteAsync(context, result, ServerJsonContext.Web.SparseValueArrayArray);
    }

    // ---- /predict: sequence classification, TEI's scores ----

    private async Task PredictAsync(HttpContext context)
    {
        PredictRequest request = await EmbeddingRoutes.ReadAsync(context, ServerJsonContext.Web.PredictRequest);
        CrossEncoder classifier = model.CrossEncoder ?? throw Unavailable("/predict",
            "a sequence-classification checkpoint (BertForSequenceClassification)", "it has no classifier head");
        (List<(string Text, string? Pair)> sequences, bool batch) = PredictInputs(request.Inputs);
        preparation.CheckCount(sequences.Count);
        TruncationDirection direction = RequestFields.Direction(request.TruncationDirection);
        bool truncate = request.Truncate ?? options.AutoTruncate;
        int max = classifier.MaxLength;
        var rows = new int[sequences.Count][];
        var types = new int[sequences.Count][];
        int tokens = 0;
        for (int i = 0; i < sequences.Count; i++)
        {
            var (text, pair) = sequences[i];
            Encoding e = Tokenizer.Encode(text, pair);
            (rows[i], types[i]) = (e.Ids, e.TypeIds);
            if (e.Length > max)
            {
                if (!truncate)
                    throw ApiException.Validation($"input {i} has {e.Length} tokens, more than the model's max_input_length {max}; send \"truncate\": true or start the server with --auto-truncate");
                // Longest-first from the named end (the tokenizer's truncation side), specials kept.
                Encoding cut = Tokenizer.Encode(text, pair, new EncodeOptions
                {
                    MaxLength = max, Truncation = TruncationStrategy.LongestFirst,
                    TruncationSide = direction == TruncationDirection.Left ? TruncationSide.Left : TruncationSide.Right,
                });
                (rows[i], types[i]) = (cut.Ids, cut.TypeIds);
            }
            tokens += rows[i].Length;
        }
        BertForSequenceClassification head = classifier.Model;
        float[] logits = await RunAsync(context, "/predict", rows.Length, tokens,
            ct => head.Run(BertBatch.FromRows(rows, types, Tokenizer.PadTokenId), Run(ct)).Logits);
        int labels = head.NumLabels;
        var predictions = new Prediction[sequences.Count][];
        for (int i = 0; i < predictions.Length; i++)
        {
            float[] scores = logits.AsSpan(i * labels, labels).ToArray();
            // TEI (core/src/infer.rs predict): softmax over several labels, sigmoid of one; raw_scores = the logits.
            if (!request.RawScores)
            {
                if (labels > 1) Scoring.SoftmaxInPlace(scores);
                else Scoring.SigmoidInPlace(scores);
            }
            if (Array.Exists(scores, float.IsNaN)) throw new ApiException(424, "backend", $"input {i}: score is NaN");
            // Descending by score, equal scores in label order.
            var order = new int[labels];
            for (int k = 0; k < labels; k++) order[k] = k;
            Array.Sort(order, (a, b) => scores[b].CompareTo(scores[a]) is int c && c != 0 ? c : a.CompareTo(b));
            var row = new Prediction[labels];
            for (int k = 0; k < labels; k++) row[k] = new Prediction { Score = scores[order[k]], Label = head.Labels[order[k]] };
            predictions[i] = row;
        }
        if (batch) await WriteAsync(context, predictions, ServerJsonContext.Web.PredictionArrayArray);
        else await WriteAsync(context, predictions[0], ServerJsonContext.Web.PredictionArray);
    }

    /// <summary>
    /// TEI's PredictInput: "text" | ["text", "pair"] | ["text"] (single) | [["text"], ["text", "pair"], ...] (batch).
    /// </summary>
    private static (List<(string, string?)> Sequences, bool Batch) PredictInputs(JsonElement inputs)
    {
        const string Shapes = "inputs must be a string, a pair [\"text\", \"pair\"], or a batch [[\"text\"], [\"text\", \"pair\"], ...]";
        if (inputs.ValueKind == JsonValueKind.String) return ([(inputs.GetString()!, null)], false);
        if (inputs.ValueKind == JsonValueKind.Undefined) throw ApiException.BadRequest("missing field `inputs`");
        if (inputs.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest(Shapes);
        int n = inputs.GetArrayLength();
        if (n == 0) throw ApiException.Empty("`inputs` cannot be empty");
        if (inputs[0].ValueKind == JsonValueKind.String)
        {
            if (n > 2) throw ApiException.BadRequest($"{Shapes}; got a list of {n} strings");
            string[] pair = InputList.Read(inputs, "inputs");
            return ([(pair[0], n == 2 ? pair[1] : null)], false);
        }
        var list = new List<(string, string?)>(n);
        int i = 0;
        foreach (JsonElement item in inputs.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() is not (1 or 2))
                throw ApiException.BadRequest($"inputs[{i}]: {Shapes}");
            string[] texts = InputList.Read(item, $"inputs[{i}]");
            list.Add((texts[0], texts.Length == 2 ? texts[1] : null));
            i++;
        }
        return (list, true);
    }

    // ---- /rerank: the library's CrossEncoder.Rerank ----

    private async Task RerankAsync(HttpContext context)
    {
        RerankRequest request = await EmbeddingRoutes.ReadAsync(context, ServerJsonContext.Web.RerankRequest);
        CrossEncoder reranker = model.CrossEncoder ?? throw Unavailable("/rerank",
            "a cross-encoder checkpoint (BertForSequenceClassification with one label)", "it has no classifier head");
        if (reranker.NumLabels != 1)
            throw Unavailable("/rerank", "a cross-encoder checkpoint (BertForSequenceClassification with one label)",
                $"its classifier has {reranker.NumLabels} labels ({string.Join(", ", reranker.Model.Labels)}); use /predict with pairs");
        string query = request.Query ?? throw ApiException.BadRequest("missing field `query`");
        string[] texts = request.Texts ?? throw ApiException.BadRequest("missing field `texts`");
        if (texts.Length == 0) throw ApiException.Empty("`texts` cannot be empty");
        preparation.CheckCount(texts.Length, "texts");
        for (int i = 0; i < texts.Length; i++)
            if (texts[i] is null) throw ApiException.BadRequest($"texts[{i}] must be a string, not null");
        if (RequestFields.Direction(request.TruncationDirection) == TruncationDirection.Left)
            throw ApiException.Validation("truncation_direction Left is not supported by /rerank (pairs are cut longest-first from the right)");
        bool truncate = request.Truncate ?? options.AutoTruncate;
        TorchActivation? activation = request.RawScores ? TorchActivation.Identity : null;
        IReadOnlyList<RerankResult> ranked = await RunAsync(context, "/rerank", texts.Length, 0,
            ct => reranker.Rerank(query, texts, null, activation, truncate, ct));
        var ranks = new Rank[ranked.Count];
        for (int k = 0; k < ranks.Length; k++)
        {
            if (float.IsNaN(ranked[k].Score)) throw new ApiException(424, "backend", $"text {ranked[k].Index}: score is NaN");
            ranks[k] = new Rank { Index = ranked[k].Index, Score = ranked[k].Score, Text = request.ReturnText ? ranked[k].Text : null };
        }
        await WriteAsync(context, ranks, ServerJsonContext.Web.RankArray);
    }

    // ---- /decode: ids → text with the tokenizer's decoder ----

    private async Task DecodeAsync(HttpContext context)
    {
        DecodeRequest request = await EmbeddingRoutes.ReadAsync(context, ServerJsonContext.Web.DecodeRequest);
        JsonElement ids = request.Ids;
        if (ids.ValueKind == JsonValueKind.Undefined) throw ApiException.BadRequest("missing field `ids`");
        if (ids.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest("ids must be a list of token ids or a list of such lists");
        int[][] lists;
        if (ids.GetArrayLength() > 0 && ids[0].ValueKind == JsonValueKind.Array)
        {
            lists = new int[ids.GetArrayLength()][];
            int i = 0;
            foreach (JsonElement list in ids.EnumerateArray())
            {
                if (list.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest($"ids[{i}] must be a list of token ids");
                lists[i] = InputItems.Ids(list, $"ids[{i}]");
                i++;
            }
            if (lists.Length > options.MaxClientBatchSize)
                throw ApiException.TooLarge($"batch size {lists.Length} > maximum allowed batch size {options.MaxClientBatchSize} (--max-client-batch-size)");
        }
        else
        {
            if (ids.GetArrayLength() == 0) throw ApiException.Empty("`ids` cannot be empty");
            lists = [InputItems.Ids(ids, "ids")];
        }
        var texts = new string[lists.Length];
        for (int i = 0; i < lists.Length; i++)
        {
            try { texts[i] = Tokenizer.Decode(lists[i], request.SkipSpecialTokens); }
            catch (TokenizerException e) { throw ApiException.Validation($"ids{(lists.Length > 1 ? $"[{i}]" : "")}: {e.Message}"); }
        }
        await WriteAsync(context, texts, ServerJsonContext.Web.StringArray);
    }

    // ---- beyond TEI: token classification, QA, fill-mask ----

    private async Task TokenClassificationAsync(HttpContext context)
    {
        TokenClassificationRequest request = await EmbeddingRoutes.ReadAsync(context, ServerJsonContext.Web.TokenClassificationRequest);
        TokenClassificationPipeline ner = model.TokenClassification ?? throw Unavailable("/token_classification",
            "a token-classification checkpoint (BertForTokenClassification)", "it has no token-classification head");
        string[] texts = InputList.Read(request.Inputs, "inputs");
        bool batch = request.Inputs.ValueKind == JsonValueKind.Array;
        preparation.CheckCount(texts.Length);
        AggregationStrategy strategy = request.AggregationStrategy switch
        {
            null or "simple" => AggregationStrategy.Simple,
            "none" => AggregationStrategy.None,
            "first" => AggregationStrategy.First,
            "average" => AggregationStrategy.Average,
            "max" => AggregationStrategy.Max,
            _ => throw ApiException.Validation($"aggregation_strategy must be none, simple, first, average or max, not '{request.AggregationStrategy}'"),
        };
        var pipeline = request.IgnoreLabels is null ? ner : new TokenClassificationPipeline(ner.Model) { MaxThreads = ner.MaxThreads, IgnoreLabels = request.IgnoreLabels };
        IReadOnlyList<IReadOnlyList<Entity>> found = await RunAsync(context, "/token_classification", texts.Length, 0,
            ct => pipeline.Recognize(texts, strategy, ct));
        var result = new EntityOutput[found.Count][];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = new EntityOutput[found[i].Count];
            for (int k = 0; k < result[i].Length; k++)
            {
                Entity e = found[i][k];
                result[i][k] = strategy == AggregationStrategy.None
                    ? new EntityOutput { Entity = e.Label, Index = e.TokenIndex, Score = e.Score, Word = e.Text, Start = e.Start, End = e.End }
                    : new EntityOutput { EntityGroup = e.Label, Score = e.Score, Word = e.Text, Start = e.Start, End = e.End };
            }
        }
        if (batch) await WriteAsync(context, result, ServerJsonContext.Web.EntityOutputArrayArray);
        else await WriteAsync(context, result[0], ServerJsonContext.Web.EntityOutputArray);
    }

    private async Task QuestionAnsweringAsync(HttpContext context)
    {
        QuestionAnsweringRequest request = await EmbeddingRoutes.ReadAsync(context, ServerJsonContext.Web.QuestionAnsweringRequest);
        QuestionAnsweringPipeline qa = model.QuestionAnswering ?? throw Unavailable("/question_answering",
            "a question-answering checkpoint (BertForQuestionAnswering)", "it has no span-prediction head");
        string question = request.Question ?? throw ApiException.BadRequest("missing field `question`");
        string passage = request.Context ?? throw ApiException.BadRequest("missing field `context`");
        var pipeline = new QuestionAnsweringPipeline(qa.Model)
        {
            MaxThreads = qa.MaxThreads, MaxAnswerLength = request.MaxAnswerLength ?? qa.MaxAnswerLength,
            HandleImpossibleAnswer = request.HandleImpossibleAnswer,
        };
        QaAnswer answer = await RunAsync(context, "/question_answering", 1, 0, ct => pipeline.Answer(question, passage, ct));
        await WriteAsync(context, new AnswerOutput { Answer = answer.Text, Score = answer.Score, Start = answer.Start, End = answer.End },
            ServerJsonContext.Web.AnswerOutput);
    }

    private async Task FillMaskAsync(HttpContext context)
    {
        FillMaskRequest request = await EmbeddingRoutes.ReadAsync(context, ServerJsonContext.Web.FillMaskRequest);
        FillMaskPipeline fill = model.FillMask ?? throw Unavailable("/fill_mask", "a masked-LM checkpoint (BertForMaskedLM)", "it has no MLM head");
        string[] texts = InputList.Read(request.Inputs, "inputs");
        bool batch = request.Inputs.ValueKind == JsonValueKind.Array;
        preparation.CheckCount(texts.Length);
        if (request.TopK < 1) throw ApiException.Validation($"top_k {request.TopK} must be at least 1");
        int topK = request.TopK;
        IReadOnlyList<FillMaskResult> results = await RunAsync(context, "/fill_mask", texts.Length, 0, ct => fill.Predict(texts, null, topK, ct));
        var outputs = new FillMaskOutput[results.Count];
        for (int i = 0; i < outputs.Length; i++)
        {
            var masks = new MaskOutput[results[i].Masks.Count];
            for (int m = 0; m < masks.Length; m++)
            {
                MaskPrediction p = results[i].Masks[m];
                var predictions = new TokenScoreOutput[p.Predictions.Count];
                for (int k = 0; k < predictions.Length; k++)
                    predictions[k] = new TokenScoreOutput { Token = p.Predictions[k].Id, TokenStr = p.Predictions[k].Token, Score = p.Predictions[k].Score };
                masks[m] = new MaskOutput { Position = p.Position, Predictions = predictions };
            }
            outputs[i] = new FillMaskOutput { Sequence = results[i].Sequence, Masks = masks };
        }
        if (batch) await WriteAsync(context, outputs, ServerJsonContext.Web.FillMaskOutputArray);
        else await WriteAsync(context, outputs[0], ServerJsonContext.Web.FillMaskOutput);
    }
}
