using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BertSharp.Engine;

namespace BertSharp.Tests.Server;

/// <summary>
/// The README's "Serve it" curl commands, run as written (host:port replaced by the in-process server's) against the
/// shared MiniLM: each answer's first numbers equal the ones the README shows under it.
/// </summary>
[TestFixture]
public sealed class ReadmeServeExampleTests
{
    [Test]
    public async Task The_README_curl_examples_give_the_documented_numbers()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        if (!File.Exists("/usr/bin/curl") && !File.Exists("/bin/curl")) Assert.Ignore("curl is not installed");
        string root = SharedData.RepositoryRoot ?? throw new InvalidOperationException("no repository root");
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        int start = readme.IndexOf("## Serve it", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "README has a Serve it section");
        string section = readme[start..readme.IndexOf("\n## ", start + 3, StringComparison.Ordinal)];
        string[] lines = section.Split('\n');

        await using var s = await RunningServer.StartAsync(SentenceEmbedder.Load(model));
        string hostPort = $"{s.Address.Host}:{s.Address.Port}";
        int examples = 0;
        for (int i = 0; i < lines.Length - 1; i++)
        {
            if (!lines[i].StartsWith("curl ", StringComparison.Ordinal)) continue;
            string command = lines[i].Replace("localhost:8080", hostPort, StringComparison.Ordinal);
            string output = RunShell(command);
            float[] documented = FirstNumbers(lines[i + 1]);
            Assert.That(documented, Is.Not.Empty, $"the line after `{lines[i]}` shows numbers");
            float[] actual = FirstNumbers(output);
            Assert.That(actual.Length, Is.GreaterThanOrEqualTo(documented.Length), output);
            for (int k = 0; k < documented.Length; k++)
                Assert.That(actual[k], Is.EqualTo(documented[k]).Within(1e-6f), $"`{lines[i]}` value {k}");
            if (lines[i + 1].Contains("prompt_tokens", StringComparison.Ordinal))
                Assert.That(JsonDocument.Parse(output).RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(),
                    Is.EqualTo(int.Parse(lines[i + 1].Split("\"prompt_tokens\":")[1].Split(',')[0], CultureInfo.InvariantCulture)));
            examples++;
        }
        Assert.That(examples, Is.EqualTo(2), "the README shows two curl examples");
    }

    private static string RunShell(string command)
    {
        var psi = new ProcessStartInfo("/bin/sh", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.EqualTo(0), p.StandardError.ReadToEnd());
        return stdout;
    }

    /// <summary>The numbers inside the first "[" ... "]" that holds numbers (an embedding), skipping "..." .</summary>
    private static float[] FirstNumbers(string text)
    {
        int open = text.IndexOf("[0", StringComparison.Ordinal);
        if (open < 0) open = text.IndexOf("[-", StringComparison.Ordinal);
        if (open < 0) return [];
        int close = text.IndexOf(']', open);
        var values = new List<float>();
        foreach (string part in text[(open + 1)..close].Split(','))
        {
            string t = part.Trim();
            if (t.Length == 0 || t == "...") continue;
            values.Add(float.Parse(t, CultureInfo.InvariantCulture));
        }
        return values.ToArray();
    }
}
