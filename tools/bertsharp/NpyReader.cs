using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace BertSharp.Cli;

/// <summary>Bad .npy content; the message names the file and what is wrong.</summary>
public sealed class NpyFormatException(string message) : Exception(message);

/// <summary>
/// Reads a 2-D C-order .npy file ([rows, columns], any header version 1.0/2.0/3.0) of little-endian float32 ('&lt;f4'),
/// int8 ('|i1') or uint8 ('|u1') row by row, so an index of any size is scanned with one row of memory. The header dict
/// is parsed strictly for the three keys numpy writes ('descr', 'fortran_order', 'shape'); anything else is a
/// <see cref="NpyFormatException"/>.
/// </summary>
public sealed class NpyReader : IDisposable
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private long _rowsRead;

    public string Name { get; }
    public long Rows { get; }
    public int Columns { get; }
    /// <summary>The dtype: "&lt;f4", "|i1" or "|u1".</summary>
    public string Descr { get; private set; } = "<f4";
    /// <summary>Bytes per element: 4 for float32, 1 for int8/uint8.</summary>
    public int ElementSize => Descr == "<f4" ? 4 : 1;
    /// <summary>Bytes per row.</summary>
    public int RowBytes => Columns * ElementSize;
    /// <summary>Byte offset of the first row.</summary>
    public long DataOffset { get; }

    public static NpyReader Open(string path) =>
        new(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), path, ownsStream: true);

    public NpyReader(Stream stream, string name, bool ownsStream = false)
    {
        _stream = stream; _ownsStream = ownsStream; Name = name;
        try
        {
            Span<byte> prefix = stackalloc byte[12];
            if (ReadAtMost(prefix[..10]) < 10 || !prefix[..6].SequenceEqual(Magic))
                throw Bad("not a .npy file (no \\x93NUMPY magic)");
            int major = prefix[6];
            long headerLength;
            int prefixLength;
            if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]); prefixLength = 10; }
            else if (major is 2 or 3)
            {
                if (ReadAtMost(prefix[10..12]) < 2) throw Bad("truncated header");
                headerLength = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]); prefixLength = 12;
            }
            else throw Bad($"unsupported format version {major}.{prefix[7]}");
            if (headerLength > 1 << 20) throw Bad($"header length {headerLength} is implausible");
            var header = new byte[headerLength];
            if (ReadAtMost(header) < header.Length) throw Bad("truncated header");
            DataOffset = prefixLength + headerLength;
            (Rows, Columns) = ParseHeader(major == 3 ? Encoding.UTF8.GetString(header) : Encoding.Latin1.GetString(header));
            if (stream.CanSeek)
            {
                long expected = checked(DataOffset + Rows * Columns * ElementSize);
                if (stream.Length != expected)
                    throw Bad($"shape ({Rows}, {Columns}) needs {expected} bytes, the file has {stream.Length}");
            }
        }
        catch
        {
            if (_ownsStream) _stream.Dispose();
            throw;
        }
    }

    private NpyFormatException Bad(string what) => new($"{Name}: {what}");

    private (long Rows, int Columns) ParseHeader(string dict)
    {
        string d = dict.TrimEnd(' ', '\n', '\0');
        if (!d.StartsWith('{') || !d.EndsWith('}')) throw Bad($"header is not a Python dict: {d}");
        string descr = Field(d, "descr");
        Descr = descr switch
        {
            "'<f4'" => "<f4",
            "'|i1'" or "'<i1'" or "'i1'" => "|i1",
            "'|u1'" or "'<u1'" or "'u1'" => "|u1",
            _ => throw Bad($"dtype {descr} is not supported, need '<f4' (little-endian float32), '|i1' (int8) or '|u1' (uint8)"),
        };
        string order = Field(d, "fortran_order");
        if (order != "False") throw Bad($"fortran_order {order} is not supported, need False (row-major)");
        string shape = Field(d, "shape");
        if (!shape.StartsWith('(') || !shape.EndsWith(')')) throw Bad($"shape {shape} is not a tuple");
        string[] dims = shape[1..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (dims.Length != 2) throw Bad($"shape {shape} is not 2-D (rows, dimension)");
        if (!long.TryParse(dims[0], NumberStyles.None, CultureInfo.InvariantCulture, out long rows) ||
            !int.TryParse(dims[1], NumberStyles.None, CultureInfo.InvariantCulture, out int columns))
            throw Bad($"shape {shape} has a non-integer dimension");
        return (rows, columns);
    }

    /// <summary>The raw Python literal after "'key':", up to the next top-level comma or the closing brace.</summary>
    private string Field(string dict, string key)
    {
        string marker = $"'{key}':";
        int at = dict.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0) throw Bad($"header has no '{key}': {dict}");
        int i = at + marker.Length, depth = 0, start = i;
        for (; i < dict.Length - 1; i++)
        {
            char c = dict[i];
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (c == ',' && depth == 0) break;
        }
        return dict[start..i].Trim();
    }

    /// <summary>Reads the next row into <paramref name="row"/> (length = Columns); false after the last row.</summary>
    public bool ReadRow(Span<float> row)
    {
        if (Descr != "<f4") throw Bad($"holds {Descr} values, not float32");
        if (row.Length != Columns) throw new ArgumentException($"row buffer has {row.Length} values, the index has {Columns}", nameof(row));
        if (_rowsRead == Rows) return false;
        if (ReadAtMost(MemoryMarshal.AsBytes(row)) < row.Length * sizeof(float))
            throw Bad($"truncated at row {_rowsRead} of {Rows}");
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < row.Length; i++)
                row[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReverseEndianness(BitConverter.SingleToInt32Bits(row[i])));
        _rowsRead++;
        return true;
    }

    /// <summary>Reads float32 row <paramref name="row"/> (random access; the stream must be seekable); the sequential position is not kept.</summary>
    public void ReadRowAt(long row, Span<float> destination)
    {
        if (Descr != "<f4") throw Bad($"holds {Descr} values, not float32");
        if ((ulong)row >= (ulong)Rows) throw new ArgumentOutOfRangeException(nameof(row), row, $"{Name} has {Rows} rows");
        if (destination.Length != Columns) throw new ArgumentException($"row buffer has {destination.Length} values, the file has {Columns}", nameof(destination));
        _stream.Position = DataOffset + row * Columns * sizeof(float);
        if (ReadAtMost(MemoryMarshal.AsBytes(destination)) < destination.Length * sizeof(float)) throw Bad($"truncated at row {row} of {Rows}");
    }

    /// <summary>Reads the next row's raw bytes (<see cref="RowBytes"/> of them, any dtype); false after the last row.</summary>
    public bool ReadRowBytes(Span<byte> row)
    {
        if (row.Length != RowBytes) throw new ArgumentException($"row buffer has {row.Length} bytes, the index rows have {RowBytes}", nameof(row));
        if (_rowsRead == Rows) return false;
        if (ReadAtMost(row) < row.Length) throw Bad($"truncated at row {_rowsRead} of {Rows}");
        _rowsRead++;
        return true;
    }

    /// <summary>All rows as one [Rows * Columns] array (for small files and tests).</summary>
    public float[] ReadAll()
    {
        var all = new float[checked(Rows * Columns)];
        for (long r = 0; r < Rows; r++) ReadRow(all.AsSpan((int)(r * Columns), Columns));
        return all;
    }

    private int ReadAtMost(Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = _stream.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    public void Dispose()
    {
        if (_ownsStream) _stream.Dispose();
    }
}
