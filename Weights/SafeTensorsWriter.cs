using System.Runtime.InteropServices;
using System.Text.Json;

namespace BertSharp.Weights;

/// <summary>
/// Builds a safetensors file in memory and saves it: tensors are laid out in the order they were added, the
/// header is padded with spaces so the data section starts at a multiple of 8, as the reference writer does.
/// </summary>
public sealed class SafeTensorsWriter
{
    private readonly List<(string Name, SafeTensorDType DType, long[] Shape, byte[] Data)> _tensors = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Written as "__metadata__" (omitted when empty).</summary>
    public IDictionary<string, string> Metadata { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    public int Count => _tensors.Count;

    /// <summary>Adds an F32 tensor; data.Length must equal the product of shape (a scalar has shape []).</summary>
    public void Add(string name, ReadOnlySpan<float> data, params long[] shape) =>
        AddRaw(name, SafeTensorDType.F32, shape, MemoryMarshal.AsBytes(data));

    /// <summary>Adds an I64 tensor.</summary>
    public void Add(string name, ReadOnlySpan<long> data, params long[] shape) =>
        AddRaw(name, SafeTensorDType.I64, shape, MemoryMarshal.AsBytes(data));

    /// <summary>Adds an I32 tensor.</summary>
    public void Add(string name, ReadOnlySpan<int> data, params long[] shape) =>
        AddRaw(name, SafeTensorDType.I32, shape, MemoryMarshal.AsBytes(data));

    /// <summary>Adds an F16 tensor.</summary>
    public void Add(string name, ReadOnlySpan<Half> data, params long[] shape) =>
        AddRaw(name, SafeTensorDType.F16, shape, MemoryMarshal.AsBytes(data));

    /// <summary>Adds a tensor from its little-endian bytes; length must equal product(shape) * dtype size.</summary>
    public void AddRaw(string name, SafeTensorDType dtype, long[] shape, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("SafeTensorsWriter needs a little-endian machine");
        if (name.Length == 0 || name == SafeTensorsHeader.MetadataKey)
            throw new ArgumentException($"invalid tensor name '{name}'", nameof(name));
        if (_names.Contains(name))
            throw new ArgumentException($"tensor '{name}' added twice", nameof(name));
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0) throw new ArgumentException($"tensor '{name}': negative dimension in shape {TensorInfo.FormatShape(shape)}", nameof(shape));
            count = checked(count * d);
        }
        long bytes = checked(count * SafeTensorDTypes.SizeOf(dtype));
        if (bytes != data.Length)
            throw new ArgumentException($"tensor '{name}': shape {TensorInfo.FormatShape(shape)} x {SafeTensorDTypes.Name(dtype)} needs {bytes} bytes, got {data.Length}", nameof(data));
        _names.Add(name);
        _tensors.Add((name, dtype, (long[])shape.Clone(), data.ToArray()));
    }

    /// <summary>The header JSON (unpadded) for the tensors added so far.</summary>
    internal byte[] BuildHeader()
    {
        var layout = new TensorLayout[_tensors.Count];
        for (int i = 0; i < layout.Length; i++) layout[i] = new TensorLayout(_tensors[i].Name, _tensors[i].DType, _tensors[i].Shape, _tensors[i].Data.Length);
        return HeaderJson(layout, Metadata);
    }

    /// <summary>A tensor of a header: name, dtype, shape and its byte count (data follows the previous tensor's).</summary>
    public readonly record struct TensorLayout(string Name, SafeTensorDType DType, long[] Shape, long Bytes);

    /// <summary>
    /// The header JSON, unpadded: "__metadata__" first when there is any, then each tensor with data_offsets laid out
    /// one after another in the given order. Shared by this writer and streaming writers that patch the header later.
    /// </summary>
    public static byte[] HeaderJson(ReadOnlySpan<TensorLayout> tensors, ICollection<KeyValuePair<string, string>>? metadata = null)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(SafeTensorsHeader.MetadataKey);
                foreach (var kv in metadata) w.WriteString(kv.Key, kv.Value);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (TensorLayout t in tensors)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", SafeTensorDTypes.Name(t.DType));
                w.WriteStartArray("shape");
                foreach (long d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + t.Bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += t.Bytes;
            }
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    /// <summary>
    /// The file's first bytes: u64 little-endian JSON length, then the JSON padded with spaces to
    /// <paramref name="jsonBytes"/> (the next multiple of 8 when 0). Throws when the JSON is longer than asked for.
    /// </summary>
    public static byte[] Prefix(ReadOnlySpan<byte> json, int jsonBytes = 0)
    {
        int padded = jsonBytes > 0 ? jsonBytes : (json.Length + 7) / 8 * 8;
        if (json.Length > padded) throw new InvalidOperationException($"safetensors header of {json.Length} bytes does not fit in {padded}");
        var prefix = new byte[8 + padded];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
        json.CopyTo(prefix.AsSpan(8));
        prefix.AsSpan(8 + json.Length).Fill((byte)' ');
        return prefix;
    }

    /// <summary>Writes the file (replacing it if it exists).</summary>
    public void Save(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        WriteTo(stream);
    }

    public void WriteTo(Stream stream)
    {
        stream.Write(Prefix(BuildHeader()));
        foreach (var t in _tensors) stream.Write(t.Data);
    }
}
