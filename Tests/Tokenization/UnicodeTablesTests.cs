using System.Globalization;
using BertSharp.Tokenization;

namespace BertSharp.Tests.Tokenization;

/// <summary>
/// Cross-checks the generated tables against .NET's own (ICU-independent) category data, which is Unicode 16.0 in
/// .NET 10, while the category tables are Unicode 8.0 (what the Rust library's unicode_categories crate carries).
/// </summary>
public class UnicodeTablesTests
{
    [Test]
    public void CategoriesAgreeWithDotNetExceptForChangesSinceUnicode8()
    {
        var added = new List<string>();   // in a category in .NET, not in ours: assigned or moved there after 8.0
        var dropped = new List<string>(); // in ours, not in .NET: moved out of the category after 8.0
        int compared = 0;
        for (int cp = 0; cp <= 0x10FFFF; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            var category = CharUnicodeInfo.GetUnicodeCategory(cp);
            var flags = UnicodeTables.GetFlags(cp);
            compared++;
            bool punct = category is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
                or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
                or UnicodeCategory.OtherPunctuation || (cp < 128 && char.IsAsciiLetterOrDigit((char)cp) == false && cp > 0x20 && cp < 0x7F);
            bool removed = (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse && cp is not (9 or 10 or 13)) || cp == 0xFFFD;
            bool mn = category == UnicodeCategory.NonSpacingMark;
            Check(punct, CharFlags.Punctuation, "punctuation");
            Check(removed, CharFlags.CleanRemoves, "clean_text");
            Check(mn, CharFlags.NonspacingMark, "Mn");

            void Check(bool dotNet, CharFlags flag, string what)
            {
                bool ours = (flags & flag) != 0;
                if (dotNet && !ours) added.Add($"U+{cp:X4} {what}");
                if (ours && !dotNet) dropped.Add($"U+{cp:X4} {what} ({category})");
            }
        }
        Assert.That(compared, Is.EqualTo(0x110000 - 0x800));
        // Unicode 8.0 -> 16.0 moved exactly these out of Mn, P* or Cc/Cf/Co (U+166D Po -> So, U+1734 Mn -> Mc,
        // U+111C9 Po -> Mn, U+1171E Mn -> Mc); the first two are reproducers of the differential fuzzing (issue 15).
        TestContext.Out.WriteLine($"{added.Count} added since 8.0; dropped: {string.Join(", ", dropped)}");
        Assert.That(dropped, Is.EqualTo(DroppedSince8), string.Join(", ", dropped));
        // New punctuation, marks and format characters of Unicode 9.0..16.0 (e.g. U+1AC7 Mn, U+08E2 Cf, U+2E43 Po, all 12.0
        // or earlier) are not in the 8.0 tables. A generator bug would move this count by far more than a few.
        Assert.That(added, Has.Count.EqualTo(AddedSince8Count), string.Join(", ", added.Take(40)));
        Assert.That(added, Does.Contain("U+1AC7 Mn").And.Contain("U+08E2 clean_text").And.Contain("U+2E43 punctuation"));
    }

    private static readonly string[] DroppedSince8 =
        ["U+166D punctuation (OtherSymbol)", "U+1734 Mn (SpacingCombiningMark)", "U+111C9 punctuation (NonSpacingMark)", "U+1171E Mn (SpacingCombiningMark)"];
    private const int AddedSince8Count = 615;

    [Test]
    public void WhitespaceIsExactlyUnicodeWhiteSpace()
    {
        int[] whiteSpace = [0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
            0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000];
        var actual = Enumerable.Range(0, 0x110000).Where(cp => (UnicodeTables.GetFlags(cp) & CharFlags.Whitespace) != 0);
        Assert.That(actual, Is.EqualTo(whiteSpace));
    }

    [Test]
    public void DecompositionsAndLowercaseOfKnownCharacters()
    {
        Span<int> parts = stackalloc int[4];
        Assert.That(parts[..UnicodeTables.Decompose(0x1F82, parts)].ToArray(), Is.EqualTo(new[] { 0x3B1, 0x313, 0x300, 0x345 }));
        Assert.That(parts[..UnicodeTables.Decompose(0xD4DB, parts)].ToArray(), Is.EqualTo(new[] { 0x1111, 0x1171, 0x11B6 }));
        Assert.That(parts[..UnicodeTables.ToLower(0x130, parts)].ToArray(), Is.EqualTo(new[] { 0x69, 0x307 }));
        Assert.That(parts[..UnicodeTables.ToLower(0x3A3, parts)].ToArray(), Is.EqualTo(new[] { 0x3C3 }));
        Assert.That(parts[..UnicodeTables.ToLower(0x1E9E, parts)].ToArray(), Is.EqualTo(new[] { 0xDF }));
        // Rust std lowercases as Unicode 17.0 (case pairs of 16.0 and 17.0).
        Assert.That(parts[..UnicodeTables.ToLower(0xA7CB, parts)].ToArray(), Is.EqualTo(new[] { 0x264 }));
        Assert.That(parts[..UnicodeTables.ToLower(0x16EA0, parts)].ToArray(), Is.EqualTo(new[] { 0x16EBB }));
        // NFD data is Unicode 9.0: U+11938 (13.0) has no decomposition there, U+1DF6 (10.0) no combining class.
        Assert.That(parts[..UnicodeTables.Decompose(0x11938, parts)].ToArray(), Is.EqualTo(new[] { 0x11938 }));
        Assert.That(UnicodeTables.CombiningClass(0x1DF6), Is.EqualTo(0));
        Assert.That(UnicodeTables.CombiningClass(0x1DF5), Is.EqualTo(230));
    }
}
