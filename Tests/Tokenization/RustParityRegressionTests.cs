using BertSharp.Tokenization;

namespace BertSharp.Tests.Tokenization;

/// <summary>
/// The reproducers of issue 15 (differential fuzzing against Hugging Face's Rust tokenizers), with the Rust library's
/// ids and offsets (npm tokenizers 0.23.2, which agrees with Tokenizers.DotNet 1.4.1 / tokenizers 0.22.2 on the ids;
/// its char offsets converted to UTF-16 units). Offsets exclude [CLS] and [SEP].
/// </summary>
public class RustParityRegressionTests
{
    private static BertTokenizer Load(string name) => BertTokenizer.FromDirectory(SharedData.Require($"golden/tokenizer/{name}"));

    private static void AssertEncodes(string name, string text, int[] ids, (int, int)[] offsets)
    {
        var encoding = Load(name).Encode(text);
        Assert.That(encoding.Ids, Is.EqualTo(ids), "ids");
        Assert.That(encoding.Offsets[1..^1], Is.EqualTo(offsets), "offsets");
    }

    // Categories: unicode_categories 0.1.1 carries Unicode 8.0.

    [Test]
    public void NonspacingMarkAddedAfterUnicode8IsKept() =>
        AssertEncodes("uncased", "\u1ac7", [101, 100, 102], [(0, 1)]);

    [Test]
    public void FormatCharacterAddedAfterUnicode8IsNotDeleted() =>
        AssertEncodes("uncased", "x\u08e2y", [101, 100, 102], [(0, 3)]);

    [Test]
    public void PunctuationAddedAfterUnicode8IsNotIsolated() =>
        AssertEncodes("uncased", "x\u2e43y", [101, 100, 102], [(0, 3)]);

    [Test]
    public void MarkThatWasMnInUnicode8IsStripped()
    {
        AssertEncodes("uncased", "\u1734", [101, 102], []);
        AssertEncodes("cased", "\u1734", [101, 100, 102], [(0, 1)]);
    }

    [Test]
    public void SymbolThatWasPunctuationInUnicode8IsIsolated() =>
        AssertEncodes("uncased", "x\u166dy", [101, 1060, 100, 1061, 102], [(0, 1), (1, 2), (2, 3)]);

    // Offsets when canonical ordering moves marks: the Rust library aligns NFD output by position, not by source char.

    [Test]
    public void ReorderedMarkTakesTheSpanOfThePositionItMovedTo()
    {
        AssertEncodes("uncased", "\u0302\u1baa", [101, 100, 102], [(0, 1)]);
        AssertEncodes("uncased", "\ua953\u0337", [101, 100, 102], [(1, 2)]);
        AssertEncodes("cased", "\u0302\u1baa", [101, 100, 102], [(0, 2)]);
    }

    [Test]
    public void AddedDecompositionPartTakesTheSpanOfTheCharTakenLast() =>
        AssertEncodes("uncased", "\U0001D160\u0321", [101, 100, 102], [(0, 3)]);

    [Test]
    public void MarksAcrossADeletedControlCharAreOneRun()
    {
        // U+000B is deleted by clean_text before NFD, so U+1D16E is ordered with U+035F U+0F74 and takes U+035F's span.
        AssertEncodes("uncased", "\U00010400\u035f\u0f74\u000b\U0001D16E@", [101, 100, 1030, 102], [(0, 4), (7, 8)]);
        AssertEncodes("cased", "\U00010400\u035f\u0f74\u000b\U0001D16E@", [101, 100, 1030, 102], [(0, 7), (7, 8)]);
    }

    [Test]
    public void DecomposedAccentsReorderedWithATrailingMark()
    {
        AssertEncodes("uncased", "\u1e09\u0323", [101, 1039, 102], [(0, 1)]);
        AssertEncodes("uncased", "e\u0301\u0327x", [101, 4654, 102], [(0, 4)]);
        AssertEncodes("uncased", "a\u0315\u0300\u05ae\u0300b", [101, 11113, 102], [(0, 6)]);
    }
}
