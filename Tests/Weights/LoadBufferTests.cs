using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BertSharp.Tests.Support;
using BertSharp.Weights;

namespace BertSharp.Tests.Weights;

/// <summary>
/// <see cref="Checkpoint.RentBuffer"/>: leases on one native block, lent again and again (grown when a bigger tensor
/// comes) and freed when the checkpoint is disposed. A lease ends at its first Dispose: a late second Dispose or a use
/// after it can never reach the block another lease holds.
/// </summary>
public unsafe class LoadBufferTests
{
    private static nint Address(LoadBuffer b) => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(b.Span));

    [Test]
    public void TheCheckpointLendsOneBlockAgainAndGrowsIt()
    {
        using var tiny = new TinyBertFolder();
        var checkpoint = Checkpoint.Open(tiny.Directory);
        LoadBuffer first = checkpoint.RentBuffer(100);
        Assert.That(first.Span.Length, Is.EqualTo(100));
        nint block = Address(first);
        first.Dispose();
        Assert.Throws<ObjectDisposedException>(() => _ = first.Span, "a lease ends at Dispose");
        LoadBuffer again = checkpoint.RentBuffer(60);
        Assert.That(Address(again), Is.EqualTo(block), "a smaller request reuses the block");
        Assert.That(again.Span.Length, Is.EqualTo(60));

        LoadBuffer nested = checkpoint.RentBuffer(10);   // lent while `again` is out: a block of its own
        Assert.That(Address(nested), Is.Not.EqualTo(block));
        nested.Dispose();
        again.Dispose();
        LoadBuffer bigger = checkpoint.RentBuffer(1000);
        Assert.That(bigger.Span.Length, Is.EqualTo(1000));
        nint big = Address(bigger);

        first.Dispose();   // a late second Dispose of an old lease gives nothing back
        again.Dispose();
        LoadBuffer other = checkpoint.RentBuffer(1000);
        Assert.That(Address(other), Is.Not.EqualTo(big), "never two leases on one block");
        other.Dispose();
        bigger.Dispose();
        LoadBuffer last = checkpoint.RentBuffer(1000);
        Assert.That(Address(last), Is.EqualTo(big), "the latest block given back is lent again");
        last.Dispose();
        checkpoint.Dispose();
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
        Assert.Throws<ArgumentOutOfRangeException>(() => checkpoint.RentBuffer(-1));
        using var own = new LoadBuffer(8);
        Assert.That(own.Span.Length, Is.EqualTo(8));
    }
}
