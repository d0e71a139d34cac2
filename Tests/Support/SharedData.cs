namespace BertSharp.Tests.Support;

/// <summary>
/// Locates ../shared (models and golden data) through BERTSHARP_SHARED.
/// Tests that need it call <see cref="Require"/>, which reports the test as ignored (with the reason) when absent.
/// </summary>
public static class SharedData
{
    public const string EnvVar = "BERTSHARP_SHARED";

    /// <summary>
    /// The shared folder, or null when BERTSHARP_SHARED is unset or points nowhere. A relative value (the README's
    /// `../shared`) is relative to the repository root, where the README's commands run: the test host itself runs
    /// in Tests/bin/..., so the current directory cannot be used.
    /// </summary>
    public static string? Root
    {
        get
        {
            string? value = Environment.GetEnvironmentVariable(EnvVar);
            if (string.IsNullOrEmpty(value)) return null;
            string root = Path.IsPathRooted(value) ? value : Path.Combine(RepositoryRoot ?? Directory.GetCurrentDirectory(), value);
            return Directory.Exists(root) ? Path.GetFullPath(root) : null;
        }
    }

    /// <summary>The folder holding BertSharp.sln, found upwards from the test assembly.</summary>
    public static string? RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "BertSharp.sln"))) return dir.FullName;
            return null;
        }
    }

    /// <summary>Path under the shared folder; ignores the calling test when the data is not there.</summary>
    public static string Require(string relativePath)
    {
        string? root = Root;
        if (root is null)
            Assert.Ignore($"{EnvVar} is not set (or not a folder): shared models/golden data unavailable, e.g. export {EnvVar}=../shared");
        string path = Path.Combine(root!, relativePath);
        if (!File.Exists(path) && !Directory.Exists(path))
            Assert.Ignore($"{relativePath} not found under {EnvVar}={root}");
        return path;
    }

    /// <summary>Same as <see cref="Require"/> for use in TestCaseSource methods: returns null instead of ignoring.</summary>
    public static string? TryGet(string relativePath)
    {
        string? root = Root;
        if (root is null) return null;
        string path = Path.Combine(root, relativePath);
        return File.Exists(path) || Directory.Exists(path) ? path : null;
    }
}
