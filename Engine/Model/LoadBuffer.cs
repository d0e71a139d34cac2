using System.Runtime.InteropServices;

namespace BertSharp.Engine.Model;

/// <summary>
/// A float buffer outside the GC heap for a tensor that is read once at load and then packed (a linear layer's
/// unpacked weight): freed as soon as the packed copy exists, so loading leaves no large garbage arrays behind
/// and the process's peak resident memory stays near the model's own copies.
/// </summary>
internal sealed unsafe class LoadBuffer : IDisposable
{
    private float* _data;
    private readonly int _length;

    public LoadBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _length = length;
        _data = (float*)NativeMemory.Alloc((nuint)Math.Max(1, length), sizeof(float));
    }

    public Span<float> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_data == null, this);
            return new Span<float>(_data, _length);
        }
    }

    public void Dispose()
    {
        if (_data == null) return;
        NativeMemory.Free(_data);
        _data = null;
    }
}
