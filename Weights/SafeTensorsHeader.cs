using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BertSharp.Weights;

/// <summary>
/// Parses and validates a safetensors header. Layout of a file:
/// [u64 little-endian N][N bytes UTF-8 JSON object][data section]. The JSON maps tensor names to
/// {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data section) plus an optional
/// "__metadata__" string-to-string map. Valid files cover the data section exactly: tensors sorted by begin are
/// contiguous from 0 to its end, with no gap and no overlap.
/// </summary>
internal static class SafeTensorsHeader
{
    /// <summary>Same cap as the reference Rust implementation: a header larger than this is treated as corrupt.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public const string MetadataKey = "__metadata__";

    /// <summary>Reads the 8-byte header length and checks it against the file size, before anything is allocated.</summary>
    public static long ReadHeaderLength(ReadOnlySpan<byte> first8, long fileLength, string path)
    {
        if (fileLength < 8)
            throw new CheckpointException($"{path}: file is {fileLength} bytes, too small for the 8-byte safetensors header length{(fileLength == 0 ? " (empty file)" : "")}");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(first8);
        if (n > (ulong)(fileLength - 8))
            throw new CheckpointException($"{path}: header length {n} is larger than the file allows (file size {fileLength} - 8 = {fileLength - 8} bytes); truncated or not a safetensors file");
        if (n > MaxHeaderBytes)
            throw new CheckpointException($"{path}: header length {n} exceeds the {MaxHeaderBytes}-byte limit");
        if (n < 2)
            throw new CheckpointException($"{path}: header length {n} is too small for a JSON object");
        return (long)n;
    }

    public static (Dictionary<string, string> Metadata, List<TensorInfo> Tensors) Parse(
        ReadOnlySpan<byte> header, long dataLength, string path)
    {
        CheckUtf8(header, path);
        byte[] copy = header.ToArray();
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(copy, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: header is not valid JSON ({e.Message})", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointException($"{path}: header must be a JSON object, found {doc.RootElement.ValueKind}");

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new List<TensorInfo>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty p in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(p.Name))
                    throw new CheckpointException($"{path}: header lists '{ErrorText.Shorten(p.Name)}' twice");
                if (p.Name == MetadataKey)
                {
                    ParseMetadata(p.Value, metadata, path);
                    continue;
                }
                tensors.Add(ParseTensor(p.Name, p.Value, dataLength, path));
            }
            CheckCoverage(tensors, dataLength, path);
            return (metadata, tensors);
        }
    }

    private static void CheckUtf8(ReadOnlySpan<byte> header, string path)
    {
        if (System.Text.Unicode.Utf8.IsValid(header)) return;
        // Slow path only to say where the first bad byte is.
        int offset = 0;
        while (offset < header.Length)
        {
            var status = Rune.DecodeFromUtf8(header[offset..], out _, out int consumed);
            if (status != System.Buffers.OperationStatus.Done)
                throw new CheckpointException($"{path}: header is not valid UTF-8 (invalid byte 0x{header[offset]:X2} at header offset {offset}), so not valid JSON");
            offset += consumed;
        }
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new CheckpointException($"{path}: {MetadataKey} must be an object of strings, found {value.ValueKind}");
        foreach (JsonProperty m in value.EnumerateObject())
        {
            if (m.Value.ValueKind != JsonValueKind.String)
                throw new CheckpointException($"{path}: {MetadataKey}['{ErrorText.Shorten(m.Name)}'] must be a string, found {m.Value.ValueKind}");
            metadata[m.Name] = m.Value.GetString()!;
        }
    }

    private static TensorInfo ParseTensor(string name, JsonElement value, long dataLength, string path)
    {
        string where = $"{path}: tensor '{ErrorText.Shorten(name)}'";
        if (value.ValueKind != JsonValueKind.Object)
            throw new CheckpointException($"{where}: entry must be an object with dtype, shape, data_offsets; found {value.ValueKind}");

        if (!value.TryGetProperty("dtype", out JsonElement dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
            throw new CheckpointException($"{where}: missing or non-string \"dtype\"");
        string dtypeName = dtypeEl.GetString()!;
        if (!SafeTensorDTypes.TryParse(dtypeName, out SafeTensorDType dtype))
            throw new CheckpointException($"{where}: unknown or unsupported dtype \"{ErrorText.Shorten(dtypeName)}\" (expected one of BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64)");

        if (!value.TryGetProperty("shape", out JsonElement shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
            throw new CheckpointException($"{where}: missing or non-array \"shape\"");
        var shape = new long[shapeEl.GetArrayLength()];
        int k = 0;
        foreach (JsonElement d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                throw new CheckpointException($"{where}: shape[{k}] must be a non-negative integer, found {ErrorText.Describe(d)}");
            shape[k++] = dim;
        }

        if (!value.TryGetProperty("data_offsets", out JsonElement offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw new CheckpointException($"{where}: \"data_offsets\" must be an array [begin, end]");
        long begin = ReadOffset(offEl[0], where, "begin");
        long end = ReadOffset(offEl[1], where, "end");
        if (end < begin)
            throw new CheckpointException($"{where}: data_offsets [{begin},{end}] end before they begin");
        if (end > dataLength)
            throw new CheckpointException($"{where}: data_offsets [{begin},{end}] extend beyond the data section ({dataLength} bytes); file truncated?");

        long count = 1;
        try
        {
            foreach (long dim in shape) count = checked(count * dim);
            long expectedBytes = checked(count * SafeTensorDTypes.SizeOf(dtype));
            if (expectedBytes != end - begin)
                throw new CheckpointException($"{where}: shape {TensorInfo.FormatShape(shape)} x {SafeTensorDTypes.Name(dtype)} ({SafeTensorDTypes.SizeOf(dtype)} bytes) needs {expectedBytes} bytes but data_offsets [{begin},{end}] span {end - begin}");
        }
        catch (OverflowException)
        {
            throw new CheckpointException($"{where}: shape {TensorInfo.FormatShape(shape)} overflows a 64-bit byte count");
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long ReadOffset(JsonElement e, string where, string which)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v) || v < 0)
            throw new CheckpointException($"{where}: data_offsets {which} must be a non-negative integer, found {ErrorText.Describe(e)}");
        return v;
    }

    /// <summary>Sorted by begin, tensors must tile [0, dataLength) exactly.</summary>
    private static void CheckCoverage(List<TensorInfo> tensors, long dataLength, string path)
    {
        var sorted = tensors.ToArray();
        Array.Sort(sorted, static (a, b) => a.DataStart != b.DataStart ? a.DataStart.CompareTo(b.DataStart) : a.DataEnd.CompareTo(b.DataEnd));
        long expected = 0;
        TensorInfo? previous = null;
        foreach (TensorInfo t in sorted)
        {
            if (t.DataStart < expected)
                throw new CheckpointException($"{path}: tensor '{t.Name}' data_offsets [{t.DataStart},{t.DataEnd}] overlap tensor '{previous!.Name}' [{previous.DataStart},{previous.DataEnd}]");
            if (t.DataStart > expected)
                throw new CheckpointException($"{path}: gap in the data section: bytes [{expected},{t.DataStart}) before tensor '{t.Name}' belong to no tensor");
            expected = t.DataEnd;
            previous = t;
        }
        if (expected != dataLength)
            throw new CheckpointException($"{path}: tensors cover {expected.ToString(CultureInfo.InvariantCulture)} bytes but the data section has {dataLength.ToString(CultureInfo.InvariantCulture)} (trailing bytes belong to no tensor)");
    }
}
