using BertSharp.Tests.Support;
using BertSharp.Weights;

namespace BertSharp.Tests.Weights;

/// <summary>
/// <see cref="Checkpoint.RentBuffer"/>: one native block lent again and again (grown when a bigger tensor comes),
/// freed when the checkpoint is disposed; a block given back after that is freed, never lent.
/// </summary>
public class LoadBufferTests
{
    [Test]
    public void TheCheckpointLendsOneBlockAgainAndGrowsIt()
    {
        using var tiny = new TinyBertFolder();
        var checkpoint = Checkpoint.Open(tiny.Directory);
        LoadBuffer first = checkpoint.RentBuffer(100);
        Assert.That(first.Span.Length, Is.EqualTo(100));
        first.Span.Fill(1f);
        first.Dispose();
        LoadBuffer again = checkpoint.RentBuffer(60);
        Assert.That(again, Is.SameAs(first), "a smaller request reuses the block");
        Assert.That(again.Span.Length, Is.EqualTo(60));

        LoadBuffer nested = checkpoint.RentBuffer(10);   // lent while `again` is out: a block of its own
        Assert.That(nested, Is.Not.SameAs(again));
        nested.Dispose();
        again.Dispose();
        LoadBuffer bigger = checkpoint.RentBuffer(1000);
        Assert.That(bigger, Is.Not.SameAs(first), "a bigger request gets a bigger block");
        Assert.That(bigger.Span.Length, Is.EqualTo(1000));
        bigger.Dispose();
        bigger.Dispose();   // twice: still lent once, not freed under the spare
        LoadBuffer last = checkpoint.RentBuffer(1000);
        Assert.That(last, Is.SameAs(bigger));
        Assert.That(last.Span.Length, Is.EqualTo(1000));
        last.Dispose();

        checkpoint.Dispose();
        Assert.Throws<ObjectDisposedException>(() => _ = bigger.Span, "the spare is freed with the checkpoint");
    }

    [Test]
    public void ABlockGivenBackAfterTheCheckpointIsDisposedIsFreed()
    {
        using var tiny = new TinyBertFolder();
        var checkpoint = Checkpoint.Open(tiny.Directory);
        LoadBuffer lent = checkpoint.RentBuffer(64);
        checkpoint.Dispose();
        lent.Dispose();
        Assert.Throws<ObjectDisposedException>(() => _ = lent.Span);
        using var own = new LoadBuffer(8);
        Assert.That(own.Span.Length, Is.EqualTo(8));
    }
}
