namespace BertSharp.Tests.Server;

/// <summary>`bertsharp serve` startup errors: a missing model or bad options end with a clear message and a non-zero exit.</summary>
[TestFixture]
public sealed class CliServeCommandTests
{
    private static (int Code, string Stderr) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Cli.Cli.Run(args, new StringReader(""), output, error);
        return (code, error.ToString());
    }

    [Test]
    public void A_missing_model_folder_is_a_clear_error_with_exit_1()
    {
        (int code, string stderr) = Run("serve", "--model", "/nonexistent/serve-model", "--port", "0");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(stderr, Does.StartWith("bertsharp serve: error:").And.Contain("/nonexistent/serve-model"));
    }

    [Test]
    public void Usage_errors_name_the_option_with_exit_2()
    {
        using var tiny = new TinyBertFolder();
        (int code, string stderr) = Run("serve");
        Assert.That((code, stderr), Is.EqualTo((2, "bertsharp serve: missing required option --model" + Environment.NewLine)));
        (code, stderr) = Run("serve", "--model", tiny.Directory, "--port", "70000");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--port 70000"));
        (code, stderr) = Run("serve", "--model", tiny.Directory, "--payload-limit", "big");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--payload-limit"));
        (code, stderr) = Run("serve", "--model", tiny.Directory, "--max-batch-tokens", "0");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--max-batch-tokens"));
        (code, stderr) = Run("serve", "--model", tiny.Directory, "--embedding-table", "bf16");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--embedding-table must be fp32, f16, int8 or file, got 'bf16'"));
        (code, stderr) = Run("serve", "--model", tiny.Directory, "--bogus");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--bogus"));
    }

    [Test]
    public async Task The_server_loads_the_model_as_its_options_say()
    {
        using var tiny = new TinyBertFolder();
        await using var server = BertSharp.Server.BertServer.Create(new BertSharp.Server.ServerOptions
        {
            Model = tiny.Directory, Quantization = Engine.WeightQuantization.Int8, WordEmbeddingPrecision = Engine.EmbeddingTablePrecision.File,
        });
        Assert.That(server.Embedder.Model.Quantization, Is.EqualTo(Engine.WeightQuantization.Int8));
        Assert.That(server.Embedder.Model.Embeddings.WordEmbeddingTable.Precision, Is.EqualTo(Engine.EmbeddingTablePrecision.File));
    }
}
