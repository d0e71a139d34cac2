using System.Buffers.Binary;
using System.Text;

namespace BertSharp.Tests.Weights;

/// <summary>Temporary folders and hand-made safetensors files for the Weights tests.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bertsharp-weights-" + Guid.NewGuid().ToString("N"));

    public TempDir() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

internal static class RawSafeTensors
{
    /// <summary>[u64 header length][header][data]: lets tests write headers a correct writer never would.</summary>
    public static void Write(string path, string headerJson, byte[] data, ulong? headerLengthOverride = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        using var fs = new FileStream(path, FileMode.Create);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, headerLengthOverride ?? (ulong)header.Length);
        fs.Write(len);
        fs.Write(header);
        fs.Write(data);
    }
}
