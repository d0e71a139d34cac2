using System.Text.Json.Serialization;

namespace BertSharp.Tests.Tokenization;

/// <summary>Source-generated JSON for test inputs (no reflection-based serialization in this project).</summary>
[JsonSerializable(typeof(Dictionary<string, string?>))]
[JsonSerializable(typeof(string))]
internal sealed partial class TestJsonContext : JsonSerializerContext;
