namespace BertSharp.Tests.Commands;

public class WeightsInspectCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = BertSharp.Cli.Cli.Run(args, TextReader.Null, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Test]
    public void PrintsConfigAndTensorTable()
    {
        string dir = SharedData.Require("golden/tiny/bf16-sharded");
        var (code, output, err) = Run("inspect", "--model", dir);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("hidden 32, layers 2, heads 4, intermediate 64"));
        Assert.That(output, Does.Contain("act gelu"));
        Assert.That(output, Does.Contain("sharded: model-00001-of-00002.safetensors, model-00002-of-00002.safetensors"));
        Assert.That(output, Does.Match(@"embeddings\.word_embeddings\.weight\s+BF16\s+\[8000,32\]\s+512000"));
        Assert.That(output, Does.Contain("all parameters present with expected shapes"));
    }

    [Test]
    public void ReportsWrongShapeWithExitCode1()
    {
        string dir = SharedData.Require("golden/tiny/bad/wrong_shape");
        var (code, output, _) = Run("inspect", "--model", dir);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Does.Contain("encoder.layer.0.intermediate.dense.weight has shape [8,16] != expected [16,8]"));
    }

    [Test]
    public void BrokenFileIsAnErrorMessageNotAStackTrace()
    {
        string dir = SharedData.Require("golden/tiny/bad/unknown_dtype");
        var (code, _, err) = Run("inspect", "--model", dir);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("bertsharp inspect: error:").And.Contain("F8_E9M9").And.Not.Contain("   at "));
    }

    [Test]
    public void MissingModelOptionIsAUsageError()
    {
        var (code, _, err) = Run("inspect");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--model"));
    }
}
