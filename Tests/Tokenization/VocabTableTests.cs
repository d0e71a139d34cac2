using BertSharp.Tokenization;

namespace BertSharp.Tests.Tokenization;

public class VocabTableTests
{
    [TestCase(0)]      // every slot array grows (keys hashed again)
    [TestCase(5000)]   // presized
    public void BuilderFindsEveryKeyWhetherPresizedOrGrown(int expectedCount)
    {
        var builder = new VocabTable.Builder(expectedCount);
        for (int i = 0; i < 5000; i++) builder.Set(i % 7 == 0 ? "##w" + i : "w" + i, i);
        var table = builder.ToTable();
        Assert.That((table.Count, table.IdLimit, table.MaxKeyLength), Is.EqualTo((5000, 5000, 7)));
        for (int i = 0; i < 5000; i++)
            Assert.That(table.TryGetValue(i % 7 == 0 ? "##w" + i : "w" + i, out int id) && id == i, Is.True, $"key {i}");
        Assert.That(table.TryGetValue("w5000", out int missing), Is.False);
        Assert.That(missing, Is.EqualTo(-1));
        Assert.That(table.TryGetTokensById(out string[] byId) && byId[7] == "##w7" && byId[8] == "w8", Is.True);

        var continuation = table.WithPrefix("##");
        Assert.That(continuation.Count, Is.EqualTo(715));
        Assert.That(continuation.TryGetValue("w4998", out int cont) && cont == 4998, Is.True);
        Assert.That(continuation.TryGetValue("##w4998", out _), Is.False, "keyed without the prefix");
        Assert.That(continuation.TryGetValue("w4999", out _), Is.False, "only prefixed tokens");
        Assert.That(continuation.TryGetValue(("w4998" + "x").AsSpan(0, 5), out cont) && cont == 4998, Is.True, "span lookup");
    }

    [Test]
    public void LaterDuplicateReplacesTheIdInPlace()
    {
        var builder = new VocabTable.Builder(4);
        builder.Set("a", 0);
        builder.Set("b", 1);
        builder.Set("a", 5);
        var table = builder.ToTable();
        Assert.That((table.Count, table.IdLimit), Is.EqualTo((2, 6)));
        Assert.That(table.TryGetValue("a", out int a) && a == 5, Is.True);
        Assert.That(table.TryGetTokensById(out _), Is.False, "ids are not 0..n-1 in order");
        var byId = new string?[table.IdLimit];
        table.CopyTokensById(byId);
        Assert.That(byId, Is.EqualTo(new[] { null, "b", null, null, null, "a" }));
    }
}
