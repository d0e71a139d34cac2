namespace BertSharp.Weights;

/// <summary>A config.json that cannot be run: the one-line message names the file and the field.</summary>
public class ConfigException : Exception
{
    public ConfigException(string message) : base(ErrorText.OneLine(message)) { }
    public ConfigException(string message, Exception inner) : base(ErrorText.OneLine(message), inner) { }
}
