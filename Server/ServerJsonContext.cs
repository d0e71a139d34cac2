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
internal sealed partial class ServerJsonContext : JsonSerializerContext;
