using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace BertSharp.Weights;

/// <summary>
/// Positional reads (pread) of float tensor elements from a file, converted exactly to fp32: F32 as stored (straight
/// into the destination on little-endian machines), F16 / BF16 upcast through a small stack buffer. Used by
/// <see cref="SafeTensorsFile"/> (whole tensors and row slices at load) and <see cref="TensorRowReader"/> (a row per token).
/// </summary>
internal static class FloatTensorReads
{
    /// <summary>
    /// destination = the <paramref name="dtype"/> elements starting at file offset <paramref name="offset"/>, as fp32.
    /// False when the file ends first (it was truncated); an I/O error is the <see cref="IOException"/> itself.
    /// </summary>
    public static bool TryRead(SafeFileHandle handle, long offset, SafeTensorDType dtype, Span<float> destination)
    {
        if (dtype == SafeTensorDType.F32 && BitConverter.IsLittleEndian)
            return TryReadExactly(handle, MemoryMarshal.AsBytes(destination), offset);
        // Converted in chunks (an even number of 2- and 4-byte elements).
        Span<byte> chunk = stackalloc byte[4096];
        int elementSize = SafeTensorDTypes.SizeOf(dtype), perChunk = chunk.Length / elementSize;
        for (int done = 0; done < destination.Length; done += perChunk)
        {
            int count = Math.Min(perChunk, destination.Length - done);
            Span<byte> bytes = chunk[..(count * elementSize)];
            if (!TryReadExactly(handle, bytes, offset + (long)done * elementSize)) return false;
            Span<float> target = destination.Slice(done, count);
            switch (dtype)
            {
                case SafeTensorDType.F32: FloatConversion.Float32FromBytes(bytes, target); break;
                case SafeTensorDType.F16: FloatConversion.Float16ToSingle(bytes, target); break;
                case SafeTensorDType.BF16: FloatConversion.BFloat16ToSingle(bytes, target); break;
                default: throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a float dtype");
            }
        }
        return true;
    }

    private static bool TryReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            int read = RandomAccess.Read(handle, buffer, offset);
            if (read <= 0) return false;
            buffer = buffer[read..];
            offset += read;
        }
        return true;
    }
}
