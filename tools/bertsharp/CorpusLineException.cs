namespace BertSharp.Cli;

/// <summary>Bad corpus line in the default (fail) mode of `embed --input`: the message names the input and line.</summary>
public sealed class CorpusLineException(string message) : Exception(message);
