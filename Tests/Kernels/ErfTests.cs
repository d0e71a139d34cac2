using BertSharp.Engine.Kernels;
using static BertSharp.Tests.Support.TestArrays;

namespace BertSharp.Tests.Kernels;

/// <summary>The double-precision erf reference against tabulated values.</summary>
public class ErfTests
{
    [Test]
    public void ErfReferenceMatchesKnownValues()
    {
        // Values from tables of erf (Abramowitz & Stegun 7.1), to 15 digits.
        Assert.That(Erf.Reference(0.0), Is.EqualTo(0.0));
        Assert.That(Erf.Reference(0.5), Is.EqualTo(0.520499877813047).Within(1e-14));
        Assert.That(Erf.Reference(1.0), Is.EqualTo(0.842700792949715).Within(1e-14));
        Assert.That(Erf.Reference(-2.0), Is.EqualTo(-0.995322265018953).Within(1e-14));
        Assert.That(Erf.Reference(3.5), Is.EqualTo(0.999999256901628).Within(1e-14));
        Assert.That(Erf.Reference(5.0), Is.EqualTo(1 - 1.53745979442803e-12).Within(2e-16));   // double spacing near 1 is 1.1e-16
    }
}
