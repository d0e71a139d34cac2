using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace BertSharp.Weights;

/// <summary>
/// A validated safetensors file mapped into memory read-only. Tensor bytes are read straight from the mapping
/// (nothing is copied into managed memory until asked for); reads are thread-safe. Dispose unmaps the file:
/// spans from <see cref="GetBytes"/> must not be used after that.
/// </summary>
/// <remarks>
/// <see cref="ReadFloat32(TensorInfo, Span{float})"/> reads with positional file reads (pread), not through the
/// mapping: the bytes come from the OS page cache, which is not charged to this process's resident memory, so loading
/// a model does not keep a second, mapped copy of its checkpoint resident next to the copies the model owns.
/// </remarks>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly SafeFileHandle _handle; // for positional reads
    private byte* _base;            // first byte of the file
    private readonly long _fileLength;
    private readonly DateTime _lastWriteUtc;   // when opened (a TensorRowReader checks the file against it)
    private readonly long _dataOffset; // 8 + header length
    private readonly Dictionary<string, TensorInfo> _byName;
    private int _disposed;

    public string Path { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>Tensors in header order.</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }
    /// <summary>Size of the data section (file length - 8 - header length).</summary>
    public long DataLength => _fileLength - _dataOffset;

    private SafeTensorsFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view, SafeFileHandle handle, byte* basePtr,
        long fileLength, long dataOffset, Dictionary<string, string> metadata, List<TensorInfo> tensors)
    {
        Path = path;
        _map = map;
        _view = view;
        _handle = handle;
        _base = basePtr;
        _fileLength = fileLength;
        _lastWriteUtc = File.GetLastWriteTimeUtc(handle);
        _dataOffset = dataOffset;
        Metadata = metadata;
        Tensors = tensors;
        _byName = new Dictionary<string, TensorInfo>(tensors.Count, StringComparer.Ordinal);
        foreach (TensorInfo t in tensors) _byName.Add(t.Name, t);
    }

    /// <summary>Opens and validates a file; a <see cref="CheckpointException"/> names the file and the defect.</summary>
    public static SafeTensorsFile Open(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new CheckpointException($"{full}: safetensors file not found");
        FileStream stream;
        try
        {
            stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{full}: cannot open: {e.Message}", e);
        }

        long length = stream.Length;
        if (length < 8)
        {
            stream.Dispose();
            SafeTensorsHeader.ReadHeaderLength(default, length, full); // throws: too small / empty
        }

        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        SafeFileHandle? handle = null;
        byte* ptr = null;
        try
        {
            handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.Read);
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref ptr);
            ptr += view.PointerOffset;

            long headerLength = SafeTensorsHeader.ReadHeaderLength(new ReadOnlySpan<byte>(ptr, 8), length, full);
            long dataOffset = 8 + headerLength;
            var (metadata, tensors) = SafeTensorsHeader.Parse(new ReadOnlySpan<byte>(ptr + 8, (int)headerLength), length - dataOffset, full);
            return new SafeTensorsFile(full, map, view, handle, ptr, length, dataOffset, metadata, tensors);
        }
        catch (Exception e) when (handle is null && e is IOException or UnauthorizedAccessException)
        {
            stream.Dispose();
            throw new CheckpointException($"{full}: cannot open: {e.Message}", e);
        }
        catch
        {
            handle?.Dispose();
            if (ptr != null) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map?.Dispose();
            if (map is null) stream.Dispose();
            throw;
        }
    }

    public bool TryGetTensor(string name, out TensorInfo info) => _byName.TryGetValue(name, out info!);

    public bool Contains(string name) => _byName.ContainsKey(name);

    public TensorInfo GetTensor(string name)
    {
        if (_byName.TryGetValue(name, out TensorInfo? info)) return info;
        throw new CheckpointException($"{Path}: tensor '{name}' not found ({Tensors.Count} tensors stored{SomeNames()})");
    }

    private string SomeNames()
    {
        if (Tensors.Count == 0) return "";
        int n = Math.Min(5, Tensors.Count);
        var names = new string[n];
        for (int i = 0; i < n; i++) names[i] = Tensors[i].Name;
        return ", e.g. " + string.Join(", ", names);
    }

    /// <summary>The raw little-endian bytes of a tensor of this file, straight from the mapping.</summary>
    public ReadOnlySpan<byte> GetBytes(TensorInfo t)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (!_byName.TryGetValue(t.Name, out TensorInfo? own) || !ReferenceEquals(own, t))
            throw new ArgumentException($"tensor '{t.Name}' does not belong to {Path}", nameof(t));
        if (t.ByteLength > int.MaxValue)
            throw new CheckpointException($"{Path}: tensor '{t.Name}' is {t.ByteLength} bytes, more than a span can address");
        return new ReadOnlySpan<byte>(_base + _dataOffset + t.DataStart, (int)t.ByteLength);
    }

    /// <summary>F32, F16 or BF16 tensor as float32 (exact upcast). Integer and F64 tensors are rejected.</summary>
    public float[] ReadFloat32(string name)
    {
        TensorInfo t = GetTensor(name);
        if (t.ElementCount > Array.MaxLength)
            throw new CheckpointException($"{Path}: tensor '{name}' has {t.ElementCount} elements, too many for one array");
        var result = new float[t.ElementCount];
        ReadFloat32(t, result);
        return result;
    }

    /// <summary>Reads into <paramref name="destination"/>, whose length must equal the element count.</summary>
    public void ReadFloat32(string name, Span<float> destination) => ReadFloat32(GetTensor(name), destination);

    public void ReadFloat32(TensorInfo t, Span<float> destination)
    {
        if (destination.Length != t.ElementCount)
            throw new ArgumentException($"{Path}: tensor '{t.Name}' has {t.ElementCount} elements, destination {destination.Length}", nameof(destination));
        ReadFloat32(t, 0, destination);
    }

    /// <summary>
    /// Reads elements [firstElement, firstElement + destination.Length) of a tensor (row-major): a slice of rows of a
    /// table too big to hold as a float32 temporary next to a compact copy being built from it.
    /// </summary>
    public void ReadFloat32(TensorInfo t, long firstElement, Span<float> destination)
    {
        if (firstElement < 0 || firstElement + destination.Length > t.ElementCount)
            throw new ArgumentException($"{Path}: tensor '{t.Name}' has {t.ElementCount} elements, cannot read [{firstElement}, {firstElement + destination.Length})", nameof(destination));
        if (t.DType is not (SafeTensorDType.F32 or SafeTensorDType.F16 or SafeTensorDType.BF16))
            throw new CheckpointException($"{Path}: tensor '{t.Name}' has dtype {SafeTensorDTypes.Name(t.DType)}; expected a float tensor (F32, F16 or BF16) convertible exactly to float32");
        GetBytes(t); // ownership, disposal and size checks
        long offset = _dataOffset + t.DataStart + firstElement * SafeTensorDTypes.SizeOf(t.DType);
        bool complete;
        try { complete = FloatTensorReads.TryRead(_handle, offset, t.DType, destination); }
        catch (IOException e) { throw new CheckpointException($"{Path}: reading tensor '{t.Name}' failed: {e.Message}", e); }
        if (!complete) throw new CheckpointException($"{Path}: tensor '{t.Name}' ends past the end of the file (truncated while open?)");
    }

    /// <summary>
    /// A reader of tensor <paramref name="t"/> [rows, columns] row by row through this file's read handle, which it keeps
    /// open after this object is disposed (<see cref="TensorRowReader"/>: for a table a model reads from the file
    /// instead of holding it).
    /// </summary>
    public TensorRowReader OpenRowReader(TensorInfo t, int rows, int columns)
    {
        GetBytes(t); // ownership, disposal and size checks
        return new TensorRowReader(Path, _handle, t, _dataOffset + t.DataStart, _fileLength, _lastWriteUtc, rows, columns);
    }

    /// <summary>Integer (I64, I32, I16, I8, U8, U16, U32, U64 within range) or BOOL tensor as int64.</summary>
    public long[] ReadInt64(string name)
    {
        TensorInfo t = GetTensor(name);
        ReadOnlySpan<byte> b = GetBytes(t);
        var result = new long[t.ElementCount];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = t.DType switch
            {
                SafeTensorDType.I64 => System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(b.Slice(8 * i, 8)),
                SafeTensorDType.I32 => System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(b.Slice(4 * i, 4)),
                SafeTensorDType.I16 => System.Buffers.Binary.BinaryPrimitives.ReadInt16LittleEndian(b.Slice(2 * i, 2)),
                SafeTensorDType.I8 => (sbyte)b[i],
                SafeTensorDType.U8 => b[i],
                SafeTensorDType.BOOL => b[i] != 0 ? 1 : 0,
                SafeTensorDType.U16 => System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(2 * i, 2)),
                SafeTensorDType.U32 => System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(4 * i, 4)),
                SafeTensorDType.U64 => ReadU64AsInt64(b.Slice(8 * i, 8), t, i),
                _ => throw new CheckpointException($"{Path}: tensor '{t.Name}' has dtype {SafeTensorDTypes.Name(t.DType)}; expected an integer tensor (I64, I32, ...)"),
            };
        }
        return result;
    }

    private long ReadU64AsInt64(ReadOnlySpan<byte> b, TensorInfo t, int index)
    {
        ulong v = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(b);
        if (v > long.MaxValue)
            throw new CheckpointException($"{Path}: tensor '{t.Name}' element {index} = {v} does not fit in int64");
        return (long)v;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_base != null)
        {
            _view!.SafeMemoryMappedViewHandle.ReleasePointer();
            _base = null;
        }
        _view?.Dispose();
        _map?.Dispose();
        _handle.Dispose();
    }
}
