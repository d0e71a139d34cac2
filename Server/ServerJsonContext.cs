using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BertSharp.Server;

/// <summary>Every type the routes read or write: System.Text.Json source generation only (NativeAOT, no reflection).</summary>
[JsonSerializable(typeof(EmbedRequest))]
[JsonSerializable(typeof(OpenAIEmbeddingRequest))]
[JsonSerializable(typeof(float[][]))]
[JsonSerializable(typeof(OpenAIEmbeddingResponse<float[]>))]
[JsonSerializable(typeof(OpenAIEmbeddingResponse<string>))]
[JsonSerializable(typeof(InfoResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(TokenizeRequest))]
[JsonSerializable(typeof(SimpleToken[][]))]
[JsonSerializable(typeof(EmbedAllRequest))]
[JsonSerializable(typeof(float[][][]))]
[JsonSerializable(typeof(float[][][][]))]
[JsonSerializable(typeof(EmbedSparseRequest))]
[JsonSerializable(typeof(SparseValue[][]))]
[JsonSerializable(typeof(PredictRequest))]
[JsonSerializable(typeof(Prediction[]))]
[JsonSerializable(typeof(Prediction[][]))]
[JsonSerializable(typeof(RerankRequest))]
[JsonSerializable(typeof(Rank[]))]
[JsonSerializable(typeof(DecodeRequest))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(TokenClassificationRequest))]
[JsonSerializable(typeof(EntityOutput[]))]
[JsonSerializable(typeof(EntityOutput[][]))]
[JsonSerializable(typeof(QuestionAnsweringRequest))]
[JsonSerializable(typeof(AnswerOutput))]
[JsonSerializable(typeof(FillMaskRequest))]
[JsonSerializable(typeof(FillMaskOutput))]
[JsonSerializable(typeof(FillMaskOutput[]))]
internal sealed partial class ServerJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context the routes use: as <see cref="JsonSerializerContext"/> Default, but writing ', ", &lt;, &gt; and non-ASCII
    /// text as themselves ("model's", not "model\u0027s"); JSON bodies are never embedded in HTML here.
    /// </summary>
    public static ServerJsonContext Web { get; } = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
