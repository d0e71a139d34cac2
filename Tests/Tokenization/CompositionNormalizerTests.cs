using BertSharp.Tokenization;
using BertSharp.Tokenization.Normalizers;

namespace BertSharp.Tests.Tokenization;

/// <summary>
/// NFC and NFKC. Expected text from UnicodeData.txt; spans hand-derived from the (char, change) stream of
/// unicode-normalization-alignments' Recompositions and NormalizedString::transform (a composite takes the span of the
/// first char it consumes). The oracle tests check the text against the Rust library on every scalar value.
/// </summary>
public class CompositionNormalizerTests
{
    private static (string Text, (int, int)[] Spans) Run(string input, CompositionNormalizer normalizer)
    {
        var text = new NormalizedText();
        for (int i = 0; i < input.Length; i++) text.AppendChar(input[i], i, i + 1);
        normalizer.Normalize(text, new NormalizedText());
        var spans = new (int, int)[text.Length];
        for (int i = 0; i < text.Length; i++) spans[i] = (text.Start[i], text.End[i]);
        return (text.Span.ToString(), spans);
    }

    [Test]
    public void NfcComposes()
    {
        Assert.That(Run("e\u0301x", CompositionNormalizer.Nfc), Is.EqualTo(("\u00E9x", new[] { (0, 1), (2, 3) })));
        Assert.That(Run("\u00E9", CompositionNormalizer.Nfc), Is.EqualTo(("\u00E9", new[] { (0, 1) })));
        // Reordered then composed twice: a + U+0323 = U+1EA1, + U+0302 = U+1EAD.
        Assert.That(Run("a\u0302\u0323", CompositionNormalizer.Nfc), Is.EqualTo(("\u1EAD", new[] { (0, 1) })));
        // The second acute is blocked (no composite): it keeps its own span.
        Assert.That(Run("a\u0301\u0301", CompositionNormalizer.Nfc), Is.EqualTo(("\u00E1\u0301", new[] { (0, 1), (2, 3) })));
        Assert.That(Run("\u1112\u1161\u11AB", CompositionNormalizer.Nfc), Is.EqualTo(("\uD55C", new[] { (0, 1) })));
        // Composition exclusions and singletons stay decomposed: U+0958 -> U+0915 U+093C, U+212B (Angstrom) -> U+00C5.
        Assert.That(Run("\u0958\u212B", CompositionNormalizer.Nfc).Text, Is.EqualTo("\u0915\u093C\u00C5"));
        Assert.That(Run("\uFB01", CompositionNormalizer.Nfc).Text, Is.EqualTo("\uFB01"));
    }

    [Test]
    public void NfkcDecomposesCompatibilityThenComposes()
    {
        Assert.That(Run("\uFB01", CompositionNormalizer.Nfkc), Is.EqualTo(("fi", new[] { (0, 1), (0, 1) })));
        Assert.That(Run("\u2460\uFF23\u01C4", CompositionNormalizer.Nfkc).Text, Is.EqualTo("1CD\u017D"));
        Assert.That(Run("\u1E9B\u0323", CompositionNormalizer.Nfkc).Text, Is.EqualTo("\u1E69"));
    }

    [Test]
    public void LongExpansionsGrowTheBuffers()
    {
        // U+FDFA is 18 code points under NFKC (nothing composes); 300 of them outgrow the initial buffer many times.
        var one = Run("\uFDFA", CompositionNormalizer.Nfkc);
        Assert.That(one.Text.Length, Is.EqualTo(18));
        var many = Run(string.Concat(Enumerable.Repeat("\uFDFA", 300)), CompositionNormalizer.Nfkc);
        Assert.That(many.Text, Is.EqualTo(string.Concat(Enumerable.Repeat(one.Text, 300))));
        Assert.That(many.Spans[^1], Is.EqualTo((299, 300)));
    }
}
