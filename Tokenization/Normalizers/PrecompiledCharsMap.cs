namespace BertSharp.Tokenization.Normalizers;

/// <summary>
/// SentencePiece's precompiled normalization map (the Rust spm_precompiled crate): a little-endian u32 trie size in
/// bytes, a Darts-clone double array of u32 units over UTF-8 keys, then NUL-terminated UTF-8 replacement strings;
/// a key's value is the offset of its replacement. <see cref="Lookup"/> takes the SHORTEST key that prefixes the
/// input (the first common-prefix-search result), as the Rust crate does.
/// </summary>
internal sealed class PrecompiledCharsMap
{
    private readonly uint[] _units;
    private readonly byte[] _normalized;
    private readonly Dictionary<int, int[]> _replacements = new();

    public PrecompiledCharsMap(byte[] data, Func<string, Exception> error)
    {
        if (data.Length < 4) throw error("is shorter than its 4-byte header");
        uint trieSize = BitConverter.ToUInt32(data, 0);   // little-endian on every .NET target
        if (!BitConverter.IsLittleEndian) trieSize = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(trieSize);
        if (trieSize % 4 != 0 || trieSize > data.Length - 4) throw error($"declares a trie of {trieSize} bytes in {data.Length - 4}");
        _units = new uint[trieSize / 4];
        for (int i = 0; i < _units.Length; i++) _units[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(4 + 4 * i));
        _normalized = data.AsSpan(4 + (int)trieSize).ToArray();
        for (int p = 0; p < _normalized.Length; p++)
            if (p == 0 || _normalized[p - 1] == 0) _replacements[p] = Decode(p);
        if (_units.Length == 0) throw error("has an empty trie");
    }

    /// <summary>The replacement (code points) of the shortest key prefixing <paramref name="key"/>, or null.</summary>
    public int[]? Lookup(ReadOnlySpan<byte> key)
    {
        int nodePos = 0;
        uint unit = _units[0];
        nodePos ^= Offset(unit);
        for (int i = 0; i < key.Length; i++)
        {
            if (key[i] == 0) return null;
            nodePos ^= key[i];
            if ((uint)nodePos >= (uint)_units.Length) return null;
            unit = _units[nodePos];
            if (Label(unit) != key[i]) return null;
            nodePos ^= Offset(unit);
            if (HasLeaf(unit))
            {
                if ((uint)nodePos >= (uint)_units.Length) return null;
                int value = (int)(_units[nodePos] & 0x7FFFFFFF);
                if (_replacements.TryGetValue(value, out var r)) return r;
                return (uint)value < (uint)_normalized.Length ? Decode(value) : null;
            }
        }
        return null;
    }

    private static bool HasLeaf(uint unit) => ((unit >> 8) & 1) == 1;
    private static uint Label(uint unit) => unit & 0x800000FFu;
    private static int Offset(uint unit) => (int)((unit >> 10) << (int)((unit & (1u << 9)) >> 6));

    private int[] Decode(int start)
    {
        int end = Array.IndexOf(_normalized, (byte)0, start);
        if (end < 0) end = _normalized.Length;
        string s = System.Text.Encoding.UTF8.GetString(_normalized, start, end - start);
        var cps = new List<int>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { cps.Add(char.ConvertToUtf32(s[i], s[i + 1])); i++; }
            else cps.Add(s[i]);
        }
        return cps.ToArray();
    }
}
