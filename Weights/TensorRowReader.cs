using Microsoft.Win32.SafeHandles;

namespace BertSharp.Weights;

/// <summary>
/// Rows of a 2-D float tensor [rows, columns] read from its safetensors file when asked for, with positional reads
/// (pread) on a file handle of its own: a table used a few rows at a time (the word embeddings) without any copy of
/// it in memory. Values are converted to fp32 exactly as <see cref="SafeTensorsFile.ReadFloat32(TensorInfo, Span{float})"/>
/// converts them (F32 as stored, F16 / BF16 upcast), so a row equals that row of the loaded tensor.
/// </summary>
/// <remarks>
/// The file must stay as it was when the reader was opened. <see cref="EnsureUnchanged"/> compares its size and
/// modification time with those at open; a read that comes up short (the file was truncated) or gives a non-finite
/// value is a <see cref="CheckpointException"/> naming the file and the tensor — never a crash, never a silently
/// different row. Thread-safe: positional reads share no file offset. It reads through the checkpoint file's own handle
/// (so the rows come from the file that was validated, even if another file is renamed over its path), kept open for
/// the reader: released by <see cref="Dispose"/> or, for a reader owned by a model that is never disposed, when the
/// reader is collected.
/// </remarks>
public sealed class TensorRowReader : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly long _firstByte;     // file offset of element [0, 0]
    private readonly long _fileLength;
    private readonly DateTime _lastWriteUtc;
    private readonly SafeTensorDType _dtype;
    private readonly int _elementSize;
    private int _released;

    /// <summary>The safetensors file the rows are read from.</summary>
    public string Path { get; }
    /// <summary>The tensor's stored name.</summary>
    public string TensorName { get; }
    public int Rows { get; }
    public int Columns { get; }

    /// <param name="handle">the checkpoint file's own read handle (the file that was validated, whatever the path now
    /// names), kept open for this reader even after the checkpoint is disposed</param>
    /// <param name="firstByte">file offset of the tensor's first element</param>
    /// <param name="fileLength">the file's length when it was validated</param>
    /// <param name="lastWriteUtc">its modification time when it was opened</param>
    internal TensorRowReader(string path, SafeFileHandle handle, TensorInfo tensor, long firstByte, long fileLength, DateTime lastWriteUtc,
        int rows, int columns)
    {
        if (tensor.DType is not (SafeTensorDType.F32 or SafeTensorDType.F16 or SafeTensorDType.BF16))
            throw new CheckpointException($"{path}: tensor '{tensor.Name}' has dtype {SafeTensorDTypes.Name(tensor.DType)}; expected a float tensor (F32, F16 or BF16) convertible exactly to float32");
        if (rows < 0 || columns <= 0 || (long)rows * columns != tensor.ElementCount)
            throw new ArgumentException($"{path}: tensor '{tensor.Name}' {tensor.ShapeString} is not [{rows},{columns}]");
        Path = path; TensorName = tensor.Name; Rows = rows; Columns = columns;
        _dtype = tensor.DType;
        _elementSize = SafeTensorDTypes.SizeOf(tensor.DType);
        _firstByte = firstByte;
        _fileLength = fileLength;
        _lastWriteUtc = lastWriteUtc;
        bool added = false;
        handle.DangerousAddRef(ref added);   // released by Dispose or the finalizer
        if (!added) throw new ObjectDisposedException(path);
        _handle = handle;
        try { EnsureUnchanged(); }   // changed between the checkpoint's open and now
        catch
        {
            Dispose();
            throw;
        }
    }

    ~TensorRowReader() => Release();

    /// <summary>
    /// Throws a <see cref="CheckpointException"/> when the file's size or modification time differs from when the
    /// reader was opened (it was rewritten or truncated: its rows are no longer the model's).
    /// </summary>
    public void EnsureUnchanged()
    {
        long length;
        DateTime lastWrite;
        try
        {
            length = RandomAccess.GetLength(_handle);
            lastWrite = File.GetLastWriteTimeUtc(_handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{Path}: cannot read tensor '{TensorName}': {e.Message}", e);
        }
        if (length != _fileLength || lastWrite != _lastWriteUtc)
            throw Changed($"it is now {length} bytes, modified {lastWrite:O}; it was {_fileLength} bytes, modified {_lastWriteUtc:O}");
    }

    /// <summary>destination[0..Columns) = row <paramref name="row"/> as fp32.</summary>
    public void ReadRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), row, $"tensor '{TensorName}' has {Rows} rows");
        if (destination.Length < Columns) throw new ArgumentException($"destination has {destination.Length} floats, a row {Columns}", nameof(destination));
        destination = destination[..Columns];
        long offset = _firstByte + (long)row * Columns * _elementSize;
        bool complete;
        try { complete = FloatTensorReads.TryRead(_handle, offset, _dtype, destination); }
        catch (IOException e) { throw new CheckpointException($"{Path}: reading row {row} of tensor '{TensorName}' failed: {e.Message}", e); }
        if (!complete) throw Changed($"row {row} of tensor '{TensorName}' ends past the end of the file");
        // The whole tensor was finite when the model loaded (Checkpoint checks every weight).
        if (NonFiniteValues.IndexOfFirst(destination) >= 0) throw Changed($"row {row} now holds a non-finite value");
    }

    private CheckpointException Changed(string detail) =>
        new($"{Path}: the file changed after the model was loaded ({detail}); the model reads tensor '{TensorName}' from it, so it must stay unchanged — load the model again");

    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    private void Release()
    {
        // (null when the constructor threw before taking its reference: the finalizer still runs)
        if (_handle is not null && Interlocked.Exchange(ref _released, 1) == 0) _handle.DangerousRelease();
    }
}
