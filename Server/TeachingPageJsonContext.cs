using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BertSharp.Server;

/// <summary>The teaching page's /attention types, source-generated (NativeAOT); relaxed escaping as <see cref="ServerJsonContext.Web"/>.</summary>
[JsonSerializable(typeof(AttentionRequest))]
[JsonSerializable(typeof(AttentionResponse))]
internal sealed partial class TeachingPageJsonContext : JsonSerializerContext
{
    public static TeachingPageJsonContext Web { get; } = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
