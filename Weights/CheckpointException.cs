namespace BertSharp.Weights;

/// <summary>
/// A checkpoint (safetensors file, shard index or model folder) that cannot be used as asked.
/// The message, always one line, names the file, and the tensor when there is one, and says what was expected.
/// </summary>
public class CheckpointException : Exception
{
    public CheckpointException(string message) : base(ErrorText.OneLine(message)) { }
    public CheckpointException(string message, Exception inner) : base(ErrorText.OneLine(message), inner) { }
}
