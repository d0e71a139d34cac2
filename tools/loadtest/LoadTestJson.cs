using System.Text.Json.Serialization;

namespace BertSharp.LoadTest;

/// <summary>Request texts written and /embed answers read by source generation (no reflection).</summary>
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(float[][]))]
internal sealed partial class LoadTestJson : JsonSerializerContext;
