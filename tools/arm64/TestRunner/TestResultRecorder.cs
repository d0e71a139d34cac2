using System.Text.Json;
using Microsoft.Testing.Platform.Extensions;
using Microsoft.Testing.Platform.Extensions.Messages;
using Microsoft.Testing.Platform.Extensions.TestHost;

namespace BertSharp.Tests.Arm64;

/// <summary>
/// Writes one JSON line per finished test to the file named by BERTSHARP_ARM64_RESULTS: class, name, outcome and
/// standard output (the golden suites print their max-abs-diff figures there). tools/arm64/summarize.py reads it.
/// In-process, unlike the TRX extension, which starts the test host as a child process: that cannot exec an arm64
/// binary under qemu-user without binfmt_misc.
/// </summary>
internal sealed class TestResultRecorder : IDataConsumer, IDisposable
{
    public const string EnvVar = "BERTSHARP_ARM64_RESULTS";
    private readonly string? _path = Environment.GetEnvironmentVariable(EnvVar);
    private readonly object _gate = new();
    private Utf8JsonWriter? _writer;
    private FileStream? _file;

    public string Uid => "BertSharp.Arm64.TestResultRecorder";
    public string Version => "1.0";
    public string DisplayName => "BertSharp ARM64 result recorder";
    public string Description => "JSON lines of test outcomes and standard output for tools/arm64/summarize.py.";
    public Type[] DataTypesConsumed => [typeof(TestNodeUpdateMessage)];

    public Task<bool> IsEnabledAsync() => Task.FromResult(!string.IsNullOrEmpty(_path));

    public Task ConsumeAsync(IDataProducer dataProducer, IData value, CancellationToken cancellationToken)
    {
        if (value is not TestNodeUpdateMessage update) return Task.CompletedTask;
        TestNode node = update.TestNode;
        string? outcome = node.Properties.SingleOrDefault<TestNodeStateProperty>() switch
        {
            PassedTestNodeStateProperty => "passed",
            SkippedTestNodeStateProperty => "skipped",
            DiscoveredTestNodeStateProperty or InProgressTestNodeStateProperty or null => null,
            _ => "failed",   // failed, error, timeout, cancelled
        };
        if (outcome is null) return Task.CompletedTask;
        TestMethodIdentifierProperty? method = node.Properties.SingleOrDefault<TestMethodIdentifierProperty>();
        string output = string.Concat(node.Properties.OfType<StandardOutputProperty>().Select(p => p.StandardOutput));
        lock (_gate)
        {
            if (_writer is null)
            {
                _file = new FileStream(_path!, FileMode.Create, FileAccess.Write);
                _writer = new Utf8JsonWriter(_file);
            }
            _writer.WriteStartObject();
            _writer.WriteString("class", ClassName(node, method));
            _writer.WriteString("name", node.DisplayName);
            _writer.WriteString("outcome", outcome);
            _writer.WriteString("output", output);
            _writer.WriteEndObject();
            _writer.Flush();
            _file!.WriteByte((byte)'\n');
            _writer.Reset();
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// The test's class. The uid is "Namespace.Class.DisplayName"; the method identifier's type name is parsed from it
    /// at the last '.', which is wrong for a display name containing dots ("Golden short_hello hidden_states.1").
    /// </summary>
    private static string ClassName(TestNode node, TestMethodIdentifierProperty? method)
    {
        string uid = node.Uid.Value, suffix = "." + node.DisplayName;
        if (!uid.EndsWith(suffix, StringComparison.Ordinal)) return method?.TypeName ?? "?";
        string fullClass = uid[..^suffix.Length];
        return fullClass[(fullClass.LastIndexOf('.') + 1)..];
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _writer?.Dispose();
            _file?.Dispose();
        }
    }
}
