namespace BertSharp.Tests.Commands;

public class CliSmokeTests
{
    [Test]
    public void UnknownCommandIsAUsageError()
    {
        var err = new StringWriter();
        int code = BertSharp.Cli.Cli.Run(["no-such-command"], TextReader.Null, TextWriter.Null, err);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err.ToString(), Does.Contain("unknown command 'no-such-command'"));
    }
}
