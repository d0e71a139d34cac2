using System.Globalization;
using System.Text;

namespace BertSharp.Cli;

/// <summary>
/// Streams a 2-D float32 array [count, dimension] as a NumPy .npy file, format version 1.0:
/// magic "\x93NUMPY", version bytes 1 0, uint16 little-endian header length, then the header — an ASCII Python dict
/// "{'descr': '&lt;f4', 'fortran_order': False, 'shape': (count, dimension), }" padded with spaces and ended by '\n' so
/// the data starts at a multiple of 64 — then the rows, row-major, little-endian.
/// The row count is unknown while streaming, so the header is written with a fixed width
/// (<see cref="HeaderBytes"/>, room for 20-digit numbers, as numpy itself leaves for growth) and rewritten in place
/// with the real shape by <see cref="Complete"/>; its length never changes.
/// </summary>
public sealed class NpyWriter : FixedHeaderVectorWriter
{
    /// <summary>Total bytes before the data (magic + version + length + dict + padding + '\n'), a multiple of 64.</summary>
    public const int HeaderBytes = 128;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <param name="stream">seekable, positioned where the file starts</param>
    public NpyWriter(Stream stream, int dimension) : base(stream, dimension) { }

    protected override byte[] BuildHeader(long rows, long columns) => Header(rows, columns);

    /// <summary>The full fixed-width header for a float32 array of shape (rows, columns).</summary>
    public static byte[] Header(long rows, long columns) => Header(rows, columns, "<f4");

    /// <summary>The same for dtype <paramref name="descr"/> ("&lt;f4", "|i1", "|u1").</summary>
    public static byte[] Header(long rows, long columns, string descr)
    {
        string dict = string.Create(CultureInfo.InvariantCulture,
            $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows}, {columns}), }}");
        int dictSpace = HeaderBytes - 10; // magic 6 + version 2 + length 2
        if (dict.Length + 1 > dictSpace) throw new InvalidOperationException($"npy header for shape ({rows}, {columns}) does not fit");
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header);
        header[6] = 1; header[7] = 0;
        header[8] = (byte)(dictSpace & 0xFF); header[9] = (byte)(dictSpace >> 8);
        int n = Encoding.ASCII.GetBytes(dict, header.AsSpan(10));
        header.AsSpan(10 + n, dictSpace - n - 1).Fill((byte)' ');
        header[HeaderBytes - 1] = (byte)'\n';
        return header;
    }
}
