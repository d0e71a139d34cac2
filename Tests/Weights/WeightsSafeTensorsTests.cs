using System.Buffers.Binary;
using System.Text;
using BertSharp.Weights;

namespace BertSharp.Tests.Weights;

public class WeightsSafeTensorsTests
{
    [Test]
    public void WriterThenReaderRoundTripsEveryDType()
    {
        using var tmp = new TempDir();
        var rng = new Random(1234);
        var writer = new SafeTensorsWriter();
        writer.Metadata["format"] = "pt";
        var expected = new Dictionary<string, (SafeTensorDType DType, long[] Shape, byte[] Bytes)>();
        long[][] shapes = [[3, 5], [7], [], [2, 0, 4], [1, 1, 3]];
        int k = 0;
        foreach (SafeTensorDType dtype in Enum.GetValues<SafeTensorDType>())
        {
            long[] shape = shapes[k++ % shapes.Length];
            long count = 1;
            foreach (long d in shape) count *= d;
            var bytes = new byte[count * SafeTensorDTypes.SizeOf(dtype)];
            rng.NextBytes(bytes);
            string name = "t." + SafeTensorDTypes.Name(dtype);
            writer.AddRaw(name, dtype, shape, bytes);
            expected[name] = (dtype, shape, bytes);
        }
        string path = tmp.File("all.safetensors");
        writer.Save(path);

        byte[] file = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.That((8 + headerLength) % 8, Is.EqualTo(0), "data section starts at a multiple of 8");

        using var st = SafeTensorsFile.Open(path);
        Assert.That(st.Metadata["format"], Is.EqualTo("pt"));
        Assert.That(st.Tensors.Select(t => t.Name), Is.EqualTo(expected.Keys), "header order = insertion order");
        long previousEnd = 0;
        foreach (TensorInfo t in st.Tensors)
        {
            var (dtype, shape, bytes) = expected[t.Name];
            Assert.That(t.DType, Is.EqualTo(dtype), t.Name);
            Assert.That(t.Shape, Is.EqualTo(shape), t.Name);
            Assert.That(t.DataStart, Is.EqualTo(previousEnd), "offsets in order");
            previousEnd = t.DataEnd;
            Assert.That(st.GetBytes(t).ToArray(), Is.EqualTo(bytes), t.Name);
        }
    }

    [Test]
    public void Float32AndInt64RoundTrip()
    {
        using var tmp = new TempDir();
        float[] f = [0f, -0f, 1.5f, float.MaxValue, float.Epsilon, float.NegativeInfinity, -123.25f];
        long[] l = [long.MinValue, -1, 0, 1, long.MaxValue, 42];
        var w = new SafeTensorsWriter();
        w.Add("f", f, 7);
        w.Add("l", l, 2, 3);
        w.Add("i", new int[] { int.MinValue, -5, int.MaxValue }, 3);
        w.Add("scalar", new float[] { 3f });
        string path = tmp.File("x.safetensors");
        w.Save(path);

        using var st = SafeTensorsFile.Open(path);
        Assert.That(st.ReadFloat32("f").Select(BitConverter.SingleToInt32Bits), Is.EqualTo(f.Select(BitConverter.SingleToInt32Bits)));
        var dest = new float[7];
        st.ReadFloat32("f", dest);
        Assert.That(dest, Is.EqualTo(f));
        Assert.That(st.ReadInt64("l"), Is.EqualTo(l));
        Assert.That(st.GetTensor("l").ShapeAsInt32(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(st.ReadInt64("i"), Is.EqualTo(new long[] { int.MinValue, -5, int.MaxValue }));
        Assert.That(st.GetTensor("scalar").Shape, Is.Empty);
        Assert.That(st.GetTensor("scalar").ElementCount, Is.EqualTo(1));
        Assert.That(st.ReadFloat32("scalar"), Is.EqualTo(new[] { 3f }));
    }

    /// <summary>Decodes IEEE binary16 by the formula, independent of System.Half.</summary>
    private static double ReferenceHalf(ushort bits)
    {
        int sign = (bits >> 15) != 0 ? -1 : 1;
        int exp = (bits >> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0x1F) return mant == 0 ? sign * double.PositiveInfinity : double.NaN;
        if (exp == 0) return sign * Math.ScaleB(mant / 1024.0, -14);
        return sign * Math.ScaleB(1 + mant / 1024.0, exp - 15);
    }

    [Test]
    public void Float16UpcastIsExactForEveryBitPattern()
    {
        var src = new byte[65536 * 2];
        for (int b = 0; b < 65536; b++) BinaryPrimitives.WriteUInt16LittleEndian(src.AsSpan(2 * b), (ushort)b);
        var dst = new float[65536];
        FloatConversion.Float16ToSingle(src, dst);
        for (int b = 0; b < 65536; b++)
        {
            double want = ReferenceHalf((ushort)b);
            if (double.IsNaN(want)) { Assert.That(float.IsNaN(dst[b]), $"0x{b:X4} -> NaN"); continue; }
            if (dst[b] != want || double.IsNegative(want) != float.IsNegative(dst[b]))
                Assert.Fail($"F16 0x{b:X4}: got {dst[b]:R}, want {want:R}");
        }
    }

    private static readonly (ushort Bits, float Value)[] BFloat16Cases =
    [
        (0x0000, 0f), (0x8000, -0f), (0x3F80, 1f), (0xBF80, -1f), (0x4049, 3.140625f),
        (0x7F80, float.PositiveInfinity), (0xFF80, float.NegativeInfinity),
        (0x0001, (float)Math.ScaleB(1, -133)),            // smallest bf16 subnormal
        (0x0080, (float)Math.ScaleB(1, -126)),            // smallest normal
        (0x7F7F, (float)(Math.ScaleB(1, 127) * (2 - Math.ScaleB(1, -7)))), // largest finite
    ];

    private static readonly (ushort Bits, float Value)[] Float16Cases =
    [
        (0x0000, 0f), (0x8000, -0f), (0x3C00, 1f), (0xC000, -2f), (0x7BFF, 65504f),
        (0x7C00, float.PositiveInfinity), (0xFC00, float.NegativeInfinity),
        (0x0001, (float)Math.ScaleB(1, -24)),             // smallest subnormal
        (0x03FF, (float)(Math.ScaleB(1, -14) * 1023 / 1024.0)), // largest subnormal
        (0x0400, (float)Math.ScaleB(1, -14)),             // smallest normal
    ];

    [TestCase(SafeTensorDType.F16)]
    [TestCase(SafeTensorDType.BF16)]
    public void HalfPrecisionEdgeValuesReadAsFloat32ThroughTheFile(SafeTensorDType dtype)
    {
        var cases = dtype == SafeTensorDType.F16 ? Float16Cases : BFloat16Cases;
        ushort nan = dtype == SafeTensorDType.F16 ? (ushort)0x7E00 : (ushort)0x7FC0;
        ushort negNanPayload = dtype == SafeTensorDType.F16 ? (ushort)0xFC01 : (ushort)0xFF81;
        var bits = cases.Select(c => c.Bits).Append(nan).Append(negNanPayload).ToArray();
        var bytes = new byte[bits.Length * 2];
        for (int i = 0; i < bits.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), bits[i]);

        using var tmp = new TempDir();
        var w = new SafeTensorsWriter();
        w.AddRaw("h", dtype, [bits.Length], bytes);
        w.Save(tmp.File("h.safetensors"));
        using var st = SafeTensorsFile.Open(tmp.File("h.safetensors"));
        float[] got = st.ReadFloat32("h");
        for (int i = 0; i < cases.Length; i++)
            Assert.That(BitConverter.SingleToInt32Bits(got[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(cases[i].Value)),
                $"{dtype} 0x{cases[i].Bits:X4}: got {got[i]:R}, want {cases[i].Value:R}");
        Assert.That(float.IsNaN(got[^2]) && float.IsNaN(got[^1]), "NaNs stay NaN");
        Assert.That(float.IsNegative(got[^1]), "NaN sign kept");
    }

    [Test]
    public void BFloat16RoundingMatchesRoundToNearestEven()
    {
        Assert.That(FloatConversion.SingleToBFloat16Bits(1f), Is.EqualTo(0x3F80));
        Assert.That(FloatConversion.SingleToBFloat16Bits(BitConverter.Int32BitsToSingle(0x3F808000)), Is.EqualTo(0x3F80), "tie to even (down)");
        Assert.That(FloatConversion.SingleToBFloat16Bits(BitConverter.Int32BitsToSingle(0x3F818000)), Is.EqualTo(0x3F82), "tie to even (up)");
        Assert.That(FloatConversion.SingleToBFloat16Bits(BitConverter.Int32BitsToSingle(0x3F808001)), Is.EqualTo(0x3F81));
        Assert.That(float.IsNaN(BitConverter.Int32BitsToSingle(FloatConversion.SingleToBFloat16Bits(float.NaN) << 16)));
    }

    [Test]
    public void IntegerDTypesReadAsInt64()
    {
        using var tmp = new TempDir();
        var w = new SafeTensorsWriter();
        w.AddRaw("i8", SafeTensorDType.I8, [3], [0x80, 0xFF, 0x7F]);
        w.AddRaw("u8", SafeTensorDType.U8, [2], [0xFF, 0x00]);
        w.AddRaw("b", SafeTensorDType.BOOL, [2], [1, 0]);
        w.AddRaw("i16", SafeTensorDType.I16, [1], [0x00, 0x80]);
        w.AddRaw("u16", SafeTensorDType.U16, [1], [0xFF, 0xFF]);
        w.AddRaw("u32", SafeTensorDType.U32, [1], [0xFF, 0xFF, 0xFF, 0xFF]);
        w.AddRaw("u64big", SafeTensorDType.U64, [1], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        w.Add("f", new float[] { 1 }, 1);
        w.Save(tmp.File("i.safetensors"));
        using var st = SafeTensorsFile.Open(tmp.File("i.safetensors"));
        Assert.That(st.ReadInt64("i8"), Is.EqualTo(new long[] { -128, -1, 127 }));
        Assert.That(st.ReadInt64("u8"), Is.EqualTo(new long[] { 255, 0 }));
        Assert.That(st.ReadInt64("b"), Is.EqualTo(new long[] { 1, 0 }));
        Assert.That(st.ReadInt64("i16"), Is.EqualTo(new long[] { short.MinValue }));
        Assert.That(st.ReadInt64("u16"), Is.EqualTo(new long[] { 65535 }));
        Assert.That(st.ReadInt64("u32"), Is.EqualTo(new long[] { uint.MaxValue }));
        var big = Assert.Throws<CheckpointException>(() => st.ReadInt64("u64big"))!;
        Assert.That(big.Message, Does.Contain("u64big").And.Contain("int64"));
        var notInt = Assert.Throws<CheckpointException>(() => st.ReadInt64("f"))!;
        Assert.That(notInt.Message, Does.Contain("'f'").And.Contain("F32"));
        var notFloat = Assert.Throws<CheckpointException>(() => st.ReadFloat32("u8"))!;
        Assert.That(notFloat.Message, Does.Contain("'u8'").And.Contain("U8").And.Contain("float"));
        var missing = Assert.Throws<CheckpointException>(() => st.GetTensor("nope"))!;
        Assert.That(missing.Message, Does.Contain("i.safetensors").And.Contain("'nope'"));
        Assert.That(st.TryGetTensor("nope", out _), Is.False);
    }

    [Test]
    public void WriterRejectsDataThatDoesNotMatchTheShape()
    {
        var w = new SafeTensorsWriter();
        Assert.Throws<ArgumentException>(() => w.Add("x", new float[5], 2, 3));
        w.Add("x", new float[6], 2, 3);
        Assert.Throws<ArgumentException>(() => w.Add("x", new float[6], 6), "duplicate name");
    }

    [Test]
    public void WriterHeaderIsPaddedWithSpaces()
    {
        using var tmp = new TempDir();
        var w = new SafeTensorsWriter();
        w.Add("abc", new float[] { 1 }, 1);
        w.Save(tmp.File("p.safetensors"));
        byte[] file = File.ReadAllBytes(tmp.File("p.safetensors"));
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        string header = Encoding.UTF8.GetString(file, 8, n);
        Assert.That(n % 8, Is.EqualTo(0));
        Assert.That(header.TrimEnd(' '), Does.EndWith("}"));
        Assert.That(header.TrimEnd(' ').Length, Is.GreaterThan(n - 8));
        Assert.That(file.Length, Is.EqualTo(8 + n + 4));
    }

    // ---- malformed files made here ----

    private static CheckpointException Reject(string headerJson, byte[] data, ulong? lengthOverride = null)
    {
        using var tmp = new TempDir();
        string path = tmp.File("bad.safetensors");
        RawSafeTensors.Write(path, headerJson, data, lengthOverride);
        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path).Dispose())!;
        Assert.That(e.Message, Does.Contain("bad.safetensors"), "error names the file");
        return e;
    }

    private const string Ok = "\"dtype\":\"F32\",\"shape\":[2]";

    [Test]
    public void ValidHandMadeFileOpens()
    {
        using var tmp = new TempDir();
        RawSafeTensors.Write(tmp.File("ok.safetensors"), "{\"a\":{" + Ok + ",\"data_offsets\":[0,8]},\"b\":{" + Ok + ",\"data_offsets\":[8,16]}}   ", new byte[16]);
        using var st = SafeTensorsFile.Open(tmp.File("ok.safetensors"));
        Assert.That(st.Tensors, Has.Count.EqualTo(2));
    }

    [Test]
    public void TruncatedFileIsRejected()
    {
        using var tmp = new TempDir();
        File.WriteAllBytes(tmp.File("bad.safetensors"), [1, 2, 3, 4, 5]);
        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(tmp.File("bad.safetensors")))!;
        Assert.That(e.Message, Does.Contain("bad.safetensors").And.Contain("too small"));
    }

    [Test]
    public void HugeHeaderLengthIsRejectedWithoutAllocating()
    {
        var e = Reject("{}", [], ulong.MaxValue);
        Assert.That(e.Message, Does.Contain("header length 18446744073709551615"));
        e = Reject("{}", [], 1UL << 62);
        Assert.That(e.Message, Does.Contain("header length"));
    }

    [Test]
    public void HeaderLengthAboveTheCapIsRejectedEvenInsideTheFile()
    {
        using var tmp = new TempDir();
        string path = tmp.File("bad.safetensors");
        RawSafeTensors.Write(path, "{}", [], 120_000_000);
        using (var fs = new FileStream(path, FileMode.Open)) fs.SetLength(130_000_000); // sparse on most file systems
        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path))!;
        Assert.That(e.Message, Does.Contain("120000000").And.Contain("limit"));
    }

    [Test]
    public void NegativeOffsetsAreRejected()
    {
        var e = Reject("{\"a\":{" + Ok + ",\"data_offsets\":[-8,0]}}", new byte[8]);
        Assert.That(e.Message, Does.Contain("'a'").And.Contain("non-negative"));
    }

    [Test]
    public void OffsetsEndingBeforeTheyBeginAreRejected()
    {
        var e = Reject("{\"a\":{" + Ok + ",\"data_offsets\":[8,0]}}", new byte[8]);
        Assert.That(e.Message, Does.Contain("'a'").And.Contain("[8,0]"));
    }

    [Test]
    public void OverlappingOffsetsAreRejected()
    {
        var e = Reject("{\"a\":{" + Ok + ",\"data_offsets\":[0,8]},\"b\":{" + Ok + ",\"data_offsets\":[4,12]}}", new byte[12]);
        Assert.That(e.Message, Does.Contain("overlap").And.Contain("'a'").And.Contain("'b'"));
    }

    [Test]
    public void GapsAreRejected()
    {
        var e = Reject("{\"a\":{" + Ok + ",\"data_offsets\":[0,8]},\"b\":{" + Ok + ",\"data_offsets\":[12,20]}}", new byte[20]);
        Assert.That(e.Message, Does.Contain("gap").And.Contain("'b'").And.Contain("[8,12)"));
        e = Reject("{\"a\":{" + Ok + ",\"data_offsets\":[4,12]}}", new byte[12]);
        Assert.That(e.Message, Does.Contain("gap"), "gap at the start");
    }

    [Test]
    public void TrailingBytesAreRejected()
    {
        var e = Reject("{\"a\":{" + Ok + ",\"data_offsets\":[0,8]}}", new byte[12]);
        Assert.That(e.Message, Does.Contain("cover 8 bytes").And.Contain("12"));
    }

    [Test]
    public void OffsetsPastTheEndAreRejected()
    {
        var e = Reject("{\"a\":{" + Ok + ",\"data_offsets\":[0,8]}}", new byte[4]);
        Assert.That(e.Message, Does.Contain("'a'").And.Contain("beyond"));
    }

    [TestCase("[1,2]", "JSON object")]
    [TestCase("\"x\"", "JSON object")]
    [TestCase("{\"a\":3}", "'a'")]
    [TestCase("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "dtype")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", "shape")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", "data_offsets")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "shape[0]")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", "shape[0]")]
    [TestCase("{\"a\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "\"f32\"")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "needs 12 bytes")]
    [TestCase("{\"__metadata__\":{\"format\":1},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "__metadata__")]
    [TestCase("{\"__metadata__\":[],\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "__metadata__")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "twice")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", "not valid JSON")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", "overflow")]
    public void MalformedHeadersAreRejected(string header, string expectedInMessage)
    {
        var e = Reject(header, new byte[8]);
        Assert.That(e.Message, Does.Contain(expectedInMessage));
    }

    [Test]
    public void InvalidUtf8HeaderIsRejected()
    {
        using var tmp = new TempDir();
        string path = tmp.File("bad.safetensors");
        byte[] header = [(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}'];
        var bytes = new byte[8 + header.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path))!;
        Assert.That(e.Message, Does.Contain("UTF-8").And.Contain("offset 2"));
    }

    [Test]
    public void ConcurrentReadsSeeTheSameBytes()
    {
        using var tmp = new TempDir();
        var w = new SafeTensorsWriter();
        var data = Enumerable.Range(0, 10_000).Select(i => (float)i).ToArray();
        w.Add("x", data, 100, 100);
        w.Save(tmp.File("c.safetensors"));
        using var st = SafeTensorsFile.Open(tmp.File("c.safetensors"));
        var results = new float[8][];
        Parallel.For(0, 8, i => results[i] = st.ReadFloat32("x"));
        foreach (var r in results) Assert.That(r, Is.EqualTo(data));
    }

    [Test]
    public void ReadingAfterDisposeThrows()
    {
        using var tmp = new TempDir();
        var w = new SafeTensorsWriter();
        w.Add("x", new float[] { 1 }, 1);
        w.Save(tmp.File("d.safetensors"));
        var st = SafeTensorsFile.Open(tmp.File("d.safetensors"));
        st.Dispose();
        Assert.Throws<ObjectDisposedException>(() => st.ReadFloat32("x"));
    }
}

public class WeightsFloatConversionPropertyTests
{
    [TestCase(0)] [TestCase(1)] [TestCase(7)] [TestCase(8)] [TestCase(33)] [TestCase(384)] [TestCase(3072)] [TestCase(100_003)]
    public void VectorizedBFloat16MatchesReferenceBitForBit(int n)
    {
        var rng = new Random(n + 17);
        // Offset by one byte so the source is unaligned, as it can be inside a mapped file.
        var buffer = new byte[2 * n + 1];
        rng.NextBytes(buffer);
        ReadOnlySpan<byte> src = buffer.AsSpan(1);
        var fast = new float[n];
        var reference = new float[n];
        BertSharp.Weights.FloatConversion.BFloat16ToSingle(src, fast);
        BertSharp.Weights.FloatConversion.BFloat16ToSingleReference(src, reference);
        for (int i = 0; i < n; i++)
            if (BitConverter.SingleToInt32Bits(fast[i]) != BitConverter.SingleToInt32Bits(reference[i]))
                Assert.Fail($"n={n} i={i}: {BitConverter.SingleToInt32Bits(fast[i]):X8} != {BitConverter.SingleToInt32Bits(reference[i]):X8}");
    }

    [TestCase(0)] [TestCase(1)] [TestCase(7)] [TestCase(8)] [TestCase(33)] [TestCase(384)] [TestCase(3072)] [TestCase(100_003)]
    public void VectorizedFloat16MatchesReferenceBitForBit(int n)
    {
        var rng = new Random(n + 29);
        var buffer = new byte[2 * n + 1];
        rng.NextBytes(buffer);
        ReadOnlySpan<byte> src = buffer.AsSpan(1);
        var fast = new float[n];
        var reference = new float[n];
        BertSharp.Weights.FloatConversion.Float16ToSingle(src, fast);
        BertSharp.Weights.FloatConversion.Float16ToSingleReference(src, reference);
        for (int i = 0; i < n; i++)
            if (BitConverter.SingleToInt32Bits(fast[i]) != BitConverter.SingleToInt32Bits(reference[i]))
                Assert.Fail($"n={n} i={i}: {BitConverter.SingleToInt32Bits(fast[i]):X8} != {BitConverter.SingleToInt32Bits(reference[i]):X8}");
    }

    [Test]
    public void VectorizedFloat16MatchesReferenceForEveryBitPattern()
    {
        var src = new byte[65536 * 2];
        for (int b = 0; b < 65536; b++) System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(src.AsSpan(2 * b), (ushort)b);
        var fast = new float[65536];
        var reference = new float[65536];
        BertSharp.Weights.FloatConversion.Float16ToSingle(src, fast);
        BertSharp.Weights.FloatConversion.Float16ToSingleReference(src, reference);
        for (int b = 0; b < 65536; b++)
            if (BitConverter.SingleToInt32Bits(fast[b]) != BitConverter.SingleToInt32Bits(reference[b]))
                Assert.Fail($"0x{b:X4}: {BitConverter.SingleToInt32Bits(fast[b]):X8} != {BitConverter.SingleToInt32Bits(reference[b]):X8}");
    }

    [Test]
    public void LengthMismatchIsRejected()
    {
        Assert.Throws<ArgumentException>(() => BertSharp.Weights.FloatConversion.BFloat16ToSingle(new byte[6], new float[2]));
        Assert.Throws<ArgumentException>(() => BertSharp.Weights.FloatConversion.Float16ToSingle(new byte[6], new float[2]));
    }
}
