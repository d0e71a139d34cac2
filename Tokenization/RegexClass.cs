namespace BertSharp.Tokenization;

/// <summary>
/// The class of a code point in the GPT-2 pre-tokenizer pattern (UnicodeTables.RegexClasses.g.cs, Oniguruma's
/// Unicode 16.0.0): <c>\p{L}</c>, <c>\p{N}</c>, <c>\s</c>, or none of them.
/// </summary>
internal enum RegexClass : byte
{
    Other = 0,
    Letter = 1,
    Number = 2,
    Whitespace = 3,
}
